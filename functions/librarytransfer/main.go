// Command librarytransfer is the libraries' weekly collection-agency
// transfer's Lambda (see internal/library TransferFunction).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/library"
)

func main() { awslambda.Main(library.TransferFunction) }
