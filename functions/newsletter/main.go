// Command newsletter is the newsletter Lambda (see internal/newsletter).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/newsletter"
)

func main() { awslambda.Main(newsletter.Function) }
