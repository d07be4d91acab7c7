// Command events is the events-and-participants Lambda (see internal/events).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/events"
)

func main() { awslambda.Main(events.Function) }
