package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFeedbackSurvey fills and sends the survey as a visitor would.
func TestBrowserFeedbackSurvey(t *testing.T) {
	bctx := startBrowser(t)
	ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
	defer cancel()
	text := "Selaimella " + randomHex(4)
	remember(text)
	_, err := chromedp.RunResponse(ctx,
		chromedp.Navigate(server.URL+"/feedback?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#visit_date`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// A date input takes its value in ISO form whatever the browser's locale.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#visit_date`), today()),
		chromedp.Click(chromedp.CSS(`#visit_reason-exhibition`)),
		chromedp.Click(chromedp.CSS(`#info_source-website`)),
		chromedp.Click(chromedp.CSS(`#info_source-friends`)),
		chromedp.SetValue(chromedp.CSS(`#pu-kamu`), "several"),
		chromedp.Click(chromedp.CSS(`#age_group-45-64`)),
		chromedp.SendKeys(chromedp.CSS(`#feedback`), text),
		chromedp.SendKeys(chromedp.CSS(`#home_postcode`), "02100"),
	)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	if err != nil || resp.Status != 202 {
		t.Fatalf("submit: %v %v", resp, err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`)))
	if err != nil || heading != "Thank you for your feedback!" {
		t.Fatalf("thanks page: %q %v", heading, err)
	}
	answer, _ := answerWithText(t, text)
	pu, _ := answer["previous_use"].(map[string]any)
	if answer["visit_reason"] != "exhibition" || answer["age_group"] != "45-64" || answer["home_postcode"] != "02100" || pu["kamu"] != "several" {
		t.Fatalf("stored answer: %v", answer)
	}
	if is, _ := answer["info_source"].([]any); len(is) != 2 {
		t.Fatalf("info sources: %v", answer["info_source"])
	}
}
