// Command retention is the retention sweep's Lambda (see internal/retention).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/retention"
)

func main() { awslambda.Main(retention.Function) }
