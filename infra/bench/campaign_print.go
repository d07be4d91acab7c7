package main

import (
	"fmt"
	"io"
	"time"
)

func printCampaign(w io.Writer, c *campaignResult) {
	all := c.N + c.Before
	fmt.Fprintf(w, "\ncampaign: the campaigns function through its entry point, its page writer killed half-way (one PutItem failed\n"+
		"after N/2) and the message delivered again; %d active subscribers loaded on the audience index (%d shards), %d there before\n", c.N, 8, c.Before)
	tw := table(w)
	row(tw, "measure", "value", "goal", "result")
	per := func(x float64) string { return fmt.Sprintf("%.3f", x/float64(max(all, 1))) }
	row(tw, "jobs in the outbox / recipients counted", fmt.Sprintf("%d / %d of %d (killed: %v)", c.Jobs, c.Recipients, all, c.Killed), fmt.Sprintf("%d / %d", all, all), verdict(c.Jobs == all && c.Recipients == all && c.Killed))
	row(tw, "calls per recipient", per(float64(c.Pages.Total())), "≤ 1.1", verdict(float64(c.Pages.Total()) <= 1.1*float64(all)))
	row(tw, "  by operation", c.Pages.String(), "-", "info")
	row(tw, "capacity per recipient (CU)", per(c.Pages.Capacity), "-", "info")
	row(tw, "Scans", c.Pages.Scans, "0", verdict(c.Pages.Scans == 0))
	row(tw, "deliveries of the campaign's message", c.Deliveries, "-", "info")
	row(tw, "wall time to write every job (DynamoDB Local)", c.Wall.Round(time.Millisecond), "-", "info")
	send := time.Duration(float64(all) / sesRate * float64(time.Second))
	row(tw, fmt.Sprintf("time to send at the SES rate (%d/s)", sesRate), send.Round(time.Second), "-", "info")
	tw.Flush()
	fmt.Fprintf(w, "\ncampaign through the mailer: %d subscribers, the page writer killed half-way, redelivered, outbox drained\n", c.MailN)
	tw = table(w)
	row(tw, "measure", "value", "goal", "result")
	ratio := float64(c.Sent) / float64(max(c.MailN-c.Miss, 1))
	row(tw, "mails per recipient", fmt.Sprintf("%.2f (%d sent, %d extra, %d missing)", ratio, c.Sent, c.Extra, c.Miss), "1.00, 0 extra, 0 missing", verdict(c.Extra == 0 && c.Miss == 0 && c.Sent == c.MailN))
	row(tw, "mailer calls per recipient", fmt.Sprintf("%.3f: %s", float64(c.Mailer.Total())/float64(max(c.MailN, 1)), c.Mailer.String()), "-", "info")
	row(tw, "mailer capacity per recipient (CU)", fmt.Sprintf("%.3f", c.Mailer.Capacity/float64(max(c.MailN, 1))), "-", "info")
	row(tw, "mailer Scans", c.Mailer.Scans, "0", verdict(c.Mailer.Scans == 0))
	tw.Flush()
}
