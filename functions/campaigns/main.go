// Command campaigns is the campaigns Lambda (see internal/campaign).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/campaign"
)

func main() { awslambda.Main(campaign.Function) }
