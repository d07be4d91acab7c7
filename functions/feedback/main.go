// Command feedback is the visitor-survey Lambda (see internal/feedback).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/feedback"
)

func main() { awslambda.Main(feedback.Function) }
