package local

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SESEventsPath takes an SES event exactly as SES publishes it (a bounce or
// complaint) and puts it on the path the deployed event destination feeds:
// wrapped in the SNS notification the template's topic subscription
// delivers, on that subscription's queue.
const SESEventsPath = "/_local/ses-events"

// SESEventsHandler serves SESEventsPath.
func (s *Stack) SESEventsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST an SES event (JSON)", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 256<<10))
		if err != nil || !json.Valid(body) {
			http.Error(w, "the body must be an SES event in JSON", http.StatusBadRequest)
			return
		}
		topic, queue, err := s.sesEventsPath()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		envelope, _ := json.Marshal(map[string]string{
			"Type": "Notification", "MessageId": randomSecret(16), "TopicArn": topic,
			"Message": string(body), "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
			"SignatureVersion": "1", "Signature": "local", "SigningCertURL": "https://sns.local/cert.pem",
			"UnsubscribeURL": "https://sns.local/unsubscribe",
		})
		if _, err := s.clients.SQS.SendMessage(r.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(string(envelope))}); err != nil {
			http.Error(w, "queue: "+err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"queued"}`)
	})
}

// sesEventsPath finds, in the template, the topic the configuration sets'
// event destinations publish to and the queue subscribed to it.
func (s *Stack) sesEventsPath() (topicArn, queueURL string, err error) {
	for _, name := range s.Template.Names("AWS::SES::ConfigurationSetEventDestination") {
		dest := asMap(asMap(s.Template.Resources[name].Properties["EventDestination"])["SnsDestination"])
		topic := s.str(dest["TopicARN"])
		for _, sub := range s.Template.Names("AWS::SNS::Subscription") {
			p := s.Template.Resources[sub].Properties
			if s.str(p["TopicArn"]) != topic || s.str(p["Protocol"]) != "sqs" {
				continue
			}
			arn := s.str(p["Endpoint"])
			for logical, r := range s.resources {
				if r.attrs["Arn"] == arn && s.Template.Resources[logical].Type == "AWS::SQS::Queue" {
					return s.resources[topic].attrs["Arn"], r.ref, nil
				}
			}
		}
	}
	return "", "", fmt.Errorf("template.yaml has no SES event destination with a topic subscribed by a queue")
}
