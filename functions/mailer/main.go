// Command mailer is the mailer Lambda (see internal/mailer).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/mailer"
)

func main() { awslambda.Main(mailer.Function) }
