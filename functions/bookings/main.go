// Command bookings is the resource-bookings Lambda (see internal/booking).
package main

import (
	"rekisteri/internal/awslambda"
	"rekisteri/internal/booking"
)

func main() { awslambda.Main(booking.Function) }
