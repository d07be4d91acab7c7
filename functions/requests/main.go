// Command requests is the data-subject requests' Lambda (see internal/requests).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/requests"
)

func main() { awslambda.Main(requests.Function) }
