package awslambda

// The event shapes the fast decoder knows field by field (decode.go):
// an HTTP API request context and its authentication, an SQS batch.

import (
	"github.com/aws/aws-lambda-go/events"
)

func (d *decoder) requestContext(c *events.APIGatewayV2HTTPRequestContext) bool {
	if d.null() {
		return true
	}
	return d.object(func(key string) bool {
		switch key {
		case "routeKey":
			return d.str(&c.RouteKey)
		case "accountId":
			return d.str(&c.AccountID)
		case "stage":
			return d.str(&c.Stage)
		case "requestId":
			return d.str(&c.RequestID)
		case "apiId":
			return d.str(&c.APIID)
		case "domainName":
			return d.str(&c.DomainName)
		case "domainPrefix":
			return d.str(&c.DomainPrefix)
		case "time":
			return d.str(&c.Time)
		case "timeEpoch":
			return d.int64(&c.TimeEpoch)
		case "authorizer":
			return d.null()
		case "authentication":
			return d.authentication(&c.Authentication)
		case "http":
			if d.null() {
				return true
			}
			h := &c.HTTP
			return d.object(func(key string) bool {
				switch key {
				case "method":
					return d.str(&h.Method)
				case "path":
					return d.str(&h.Path)
				case "protocol":
					return d.str(&h.Protocol)
				case "sourceIp":
					return d.str(&h.SourceIP)
				case "userAgent":
					return d.str(&h.UserAgent)
				}
				return false
			})
		}
		return false
	})
}

func (d *decoder) authentication(a *events.APIGatewayV2HTTPRequestContextAuthentication) bool {
	if d.null() {
		return true
	}
	return d.object(func(key string) bool {
		if key != "clientCert" {
			return false
		}
		if d.null() {
			return true
		}
		c := &a.ClientCert
		return d.object(func(key string) bool {
			switch key {
			case "clientCertPem":
				return d.str(&c.ClientCertPem)
			case "issuerDN":
				return d.str(&c.IssuerDN)
			case "serialNumber":
				return d.str(&c.SerialNumber)
			case "subjectDN":
				return d.str(&c.SubjectDN)
			case "validity":
				if d.null() {
					return true
				}
				return d.object(func(key string) bool {
					switch key {
					case "notAfter":
						return d.str(&c.Validity.NotAfter)
					case "notBefore":
						return d.str(&c.Validity.NotBefore)
					}
					return false
				})
			}
			return false
		})
	})
}

func (d *decoder) records(rs *[]events.SQSMessage) bool {
	if d.null() {
		*rs = nil
		return true
	}
	out := []events.SQSMessage{}
	ok := d.array(func() bool {
		var m events.SQSMessage
		if !d.object(func(key string) bool {
			switch key {
			case "messageId":
				return d.str(&m.MessageId)
			case "receiptHandle":
				return d.str(&m.ReceiptHandle)
			case "body":
				return d.str(&m.Body)
			case "md5OfBody":
				return d.str(&m.Md5OfBody)
			case "md5OfMessageAttributes":
				return d.str(&m.Md5OfMessageAttributes)
			case "attributes":
				return d.strMap(&m.Attributes)
			case "messageAttributes":
				// Only the empty object SQS sends when there are none.
				if d.null() {
					return true
				}
				if d.peek() != '{' {
					return false
				}
				d.i++
				if d.peek() != '}' {
					return false
				}
				d.i++
				if m.MessageAttributes == nil {
					m.MessageAttributes = map[string]events.SQSMessageAttribute{}
				}
				return true
			case "eventSourceARN":
				return d.str(&m.EventSourceARN)
			case "eventSource":
				return d.str(&m.EventSource)
			case "awsRegion":
				return d.str(&m.AWSRegion)
			}
			return false
		}) {
			return false
		}
		out = append(out, m)
		return true
	})
	*rs = out
	return ok
}
