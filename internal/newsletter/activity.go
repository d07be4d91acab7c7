package newsletter

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/audience"
	"rekisteri/internal/dynamo"
	"rekisteri/internal/errlog"
	"rekisteri/internal/mail"
	"rekisteri/internal/record"
	"rekisteri/internal/subject"
	"rekisteri/internal/token"
	"rekisteri/internal/web"
)

// redirect is GET /newsletter/go?u=&s=&a=, the signed redirect every link
// of a list mail passes through. s must be token.SignURL of u, so the
// redirect sends nobody anywhere the museum did not link to. A valid
// activity token a stamps that its subscriber was active — the time only:
// nothing records which link or which mailing, and u is never logged. An
// invalid, expired or missing a still redirects, stamping nothing.
func (s *Service) redirect(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lang := web.Lang(r, web.NewForm(q))
	keys, err := s.keys.Keys(r.Context())
	if err != nil {
		return web.Unavailable(err)
	}
	u := q.Get("u")
	if !redirectable(u) || !token.VerifyURL(keys.Token, u, q.Get("s")) {
		return web.Render(w, http.StatusBadRequest, lang, t(lang, "go.title"), linkErrTmpl,
			map[string]string{"Body": t(lang, "go.invalid"), "Lang": lang, "Again": t(lang, "link.again")})
	}
	if a := q.Get("a"); a != "" {
		if c, err := token.Verify(keys.Token, a, token.Activity, s.now()); err == nil && c.Subject != "" {
			if err := s.stampActive(r.Context(), c.Subject); err != nil {
				// The person still gets where they were going.
				slog.ErrorContext(r.Context(), "activity not stamped", "subject", subject.Prefix(c.Subject), errlog.Attr(err))
			}
		}
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// redirectable: only an absolute http or https URL with a host.
func redirectable(u string) bool {
	if u == "" || len(u) > 4096 || strings.ContainsAny(u, "\r\n\t\\") {
		return false
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.User == nil
}

// stampActive records that subject sk was active now on each of its active
// subscriptions (one conditional update each), and starts its soft bounces
// in a row again. A restricted subscription is left as it is (Art. 18: it is
// only stored).
func (s *Service) stampActive(ctx context.Context, sk string) error {
	subs, err := s.subscriptions(ctx, sk)
	if err != nil {
		return err
	}
	now := stamp(s.now())
	pk := audience.SubjectPK(sk)
	for _, l := range s.reg.Lists {
		sub, ok := subs[l.ID]
		if !ok || sub.Status != Active || sub.RestrictedAt != "" {
			continue
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.tables.Subscribers),
			Key:                      dynamo.Key(pk, audience.ListSK(l.ID)),
			UpdateExpression:         aws.String("SET lastActiveAt = :now, " + audience.SoftBounces + " = :zero"),
			ConditionExpression:      aws.String("#status = :active AND attribute_not_exists(" + record.AttrRestricted + ")"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": &types.AttributeValueMemberS{Value: now}, ":zero": &types.AttributeValueMemberN{Value: "0"},
				":active": &types.AttributeValueMemberS{Value: Active},
			},
		})
		if err != nil && !dynamo.ConditionFailed(err) {
			return fmt.Errorf("stamp activity %s: %w", subject.Prefix(sk), err)
		}
	}
	return nil
}

var campaignID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var webVersionTmpl = template.Must(template.New("web").Parse(`<article>{{.}}</article>`))

// errNoCampaign: no such campaign, or none with content yet.
var errNoCampaign = errors.New("no such campaign")

// webVersion is GET /newsletter/web?campaign=&lang=, a campaign's web
// version in the site's page layout: its stored HTML (sanitised when it was
// rendered) without any recipient's activity token, so its links redirect
// without stamping anyone.
func (s *Service) webVersion(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lang := web.Lang(r, web.NewForm(q))
	c, lang, err := s.campaignContent(r.Context(), q.Get("campaign"), lang)
	if errors.Is(err, errNoCampaign) {
		if web.WantsJSON(r) {
			web.JSON(w, http.StatusNotFound, map[string]string{"error": t(lang, "web.gone")})
			return nil
		}
		web.Message(w, http.StatusNotFound, lang, t(lang, "web.gone.title"), t(lang, "web.gone"))
		return nil
	}
	if err != nil {
		return web.Unavailable(err)
	}
	// Trusted: the campaign's HTML was sanitised when it was stored.
	body := template.HTML(strings.ReplaceAll(c.HTML, mail.ActivityPlaceholder, ""))
	return web.Render(w, http.StatusOK, lang, c.Subject, webVersionTmpl, body)
}

// campaignContent reads campaign id's content in lang, else in Finnish, and
// the language it is in.
func (s *Service) campaignContent(ctx context.Context, id, lang string) (mail.CampaignContent, string, error) {
	if !campaignID.MatchString(id) {
		return mail.CampaignContent{}, lang, errNoCampaign
	}
	pk, sk := mail.CampaignKey(id)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.tables.Campaigns),
		Key:                      dynamo.Key(pk, sk),
		ProjectionExpression:     aws.String("#content"),
		ExpressionAttributeNames: map[string]string{"#content": "content"},
	})
	if err != nil {
		return mail.CampaignContent{}, lang, fmt.Errorf("read campaign %s: %w", id, err)
	}
	var item struct {
		Content map[string]mail.CampaignContent `dynamodbav:"content"`
	}
	if out.Item == nil {
		return mail.CampaignContent{}, lang, errNoCampaign
	}
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		return mail.CampaignContent{}, lang, fmt.Errorf("campaign %s: %w", id, err)
	}
	for _, l := range []string{lang, "fi"} {
		if c, ok := item.Content[l]; ok && c.HTML != "" {
			return c, l, nil
		}
	}
	return mail.CampaignContent{}, lang, errNoCampaign
}
