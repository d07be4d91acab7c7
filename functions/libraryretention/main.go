// Command libraryretention is the libraries' retention sweep's Lambda: the
// retention sweep (internal/retention) with REGISTER=library.
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/retention"
)

func main() { awslambda.Main(retention.Function) }
