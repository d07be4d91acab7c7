// Command library is the city libraries' customer register Lambda (see internal/library).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/library"
)

func main() { awslambda.Main(library.Function) }
