package deploycheck

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"rekisteri/internal/config"
	"rekisteri/internal/register"
)

// TestRegionRuleMatchesTheFunctions: the template's Rules and the functions'
// allow-list name the same EU regions, and only ones where SES sends.
func TestRegionRuleMatchesTheFunctions(t *testing.T) {
	tmpl := readTemplate(t)
	var regions []string
	for _, a := range List(Map(tmpl.Rules["EURegionOnly"])["Assertions"]) {
		contains := List(Map(Map(a)["Assert"])["Fn::Contains"])
		if len(contains) == 2 {
			regions = Strings(contains[0])
		}
	}
	got, want := slices.Clone(regions), slices.Clone(config.EURegions)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("template Rules allow %v, the functions %v", got, want)
	}
	// Regions without SES v2 (the mailer could not send there).
	for _, noSES := range []string{"eu-south-2", "eu-central-2"} {
		if slices.Contains(regions, noSES) {
			t.Errorf("Rules allow %s, which has no SES", noSES)
		}
	}
}

// TestSecretsAndDataRetained: deleting or replacing the stack must not take
// the secrets (the subject key makes retained records matchable to their
// person), the tables or the key with it.
func TestSecretsAndDataRetained(t *testing.T) {
	tmpl := readTemplate(t)
	for _, typ := range []string{"AWS::SecretsManager::Secret", "AWS::DynamoDB::Table", "AWS::KMS::Key"} {
		names := tmpl.Names(typ)
		if len(names) == 0 {
			t.Errorf("no %s in the template", typ)
		}
		for _, n := range names {
			if typ == "AWS::KMS::Key" && n != "DataKey" {
				continue // keys that guard no stored data (the alarm topic's) may go
			}
			r := tmpl.Resources[n]
			if r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
				t.Errorf("%s: DeletionPolicy %q, UpdateReplacePolicy %q; want both Retain", n, r.DeletionPolicy, r.UpdateReplacePolicy)
			}
		}
	}
}

// TestSchedulesStackScoped: schedule names are unique per account and
// region, so each carries the stack's name; two stacks can coexist.
func TestSchedulesStackScoped(t *testing.T) {
	tmpl := readTemplate(t)
	res := Resolver{Params: map[string]string{"AWS::StackName": "STACK"}}
	seen := map[string]string{}
	n := 0
	for _, fn := range tmpl.Names("AWS::Serverless::Function") {
		for evName, ev := range Map(tmpl.Resources[fn].Properties["Events"]) {
			e := Map(ev)
			if Str(e["Type"]) != "ScheduleV2" {
				continue
			}
			n++
			name := res.Resolve(Map(e["Properties"])["Name"])
			if !strings.HasPrefix(name, "STACK-") || len(name) > 64 {
				t.Errorf("%s/%s: schedule Name %q; want ${AWS::StackName}-… (at most 64 characters)", fn, evName, name)
			}
			if other, dup := seen[name]; dup {
				t.Errorf("%s/%s: schedule Name %q also used by %s", fn, evName, name, other)
			}
			seen[name] = fn + "/" + evName
		}
	}
	if n == 0 {
		t.Fatal("no ScheduleV2 events found")
	}
}

// TestAlarmTopicReachesSomeone: CloudWatch cannot use alias/aws/sns, so the
// alarm topic's key is the template's own and lets cloudwatch.amazonaws.com
// publish (GenerateDataKey and Decrypt).
func TestAlarmTopicReachesSomeone(t *testing.T) {
	tmpl := readTemplate(t)
	topics := tmpl.Names("AWS::SNS::Topic")
	if len(topics) == 0 {
		t.Fatal("no SNS topic")
	}
	res := Resolver{Params: map[string]string{"AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": "eu-north-1"}}
	alarmed := map[string]bool{}
	for _, alarm := range tmpl.Names("AWS::CloudWatch::Alarm") {
		for _, a := range List(tmpl.Resources[alarm].Properties["AlarmActions"]) {
			alarmed[Str(Map(a)["Ref"])] = true
		}
	}
	for _, name := range topics {
		if !alarmed[name] {
			continue // not an alarm topic (SES events: its key lets SES publish)
		}
		keyRef := tmpl.Resources[name].Properties["KmsMasterKeyId"]
		keyName := Str(Map(keyRef)["Ref"])
		if keyName == "" {
			keyName = Str(Map(keyRef)["Fn::GetAtt"])
			keyName, _, _ = strings.Cut(keyName, ".")
		}
		key, ok := tmpl.Resources[keyName]
		if !ok || key.Type != "AWS::KMS::Key" {
			t.Errorf("%s: KmsMasterKeyId %v is not a key of this template (an AWS managed key's policy cannot be changed to let CloudWatch in)", name, keyRef)
			continue
		}
		for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			ctx := map[string]string{"aws:SourceAccount": account, "aws:SourceArn": "arn:aws:cloudwatch:eu-north-1:" + account + ":alarm:x"}
			if ok, err := KeyPolicyAllows(Map(key.Properties["KeyPolicy"]), Request{Principal: "cloudwatch.amazonaws.com", Action: action, Context: ctx}, account, res); err != nil || !ok {
				t.Errorf("%s's key %s does not let cloudwatch.amazonaws.com %s (%v)", name, keyName, action, err)
			}
		}
	}
	for _, alarm := range tmpl.Names("AWS::CloudWatch::Alarm") {
		actions := List(tmpl.Resources[alarm].Properties["AlarmActions"])
		if len(actions) == 0 {
			t.Errorf("%s has no AlarmActions", alarm)
		}
		for _, a := range actions {
			if !slices.Contains(topics, Str(Map(a)["Ref"])) {
				t.Errorf("%s: alarm action %v is not a topic of this template", alarm, a)
			}
		}
	}
}

// TestTLSOnly: every queue and the exports bucket refuse requests not made
// over TLS (aws:SecureTransport false), for every principal.
func TestTLSOnly(t *testing.T) {
	tmpl := readTemplate(t)
	denies := func(doc any, action string) bool {
		for _, st := range List(Map(doc)["Statement"]) {
			s := Map(st)
			if Str(s["Effect"]) == "Deny" && Str(s["Principal"]) == "*" && actionMatches(s["Action"], action) &&
				Str(Map(Map(s["Condition"])["Bool"])["aws:SecureTransport"]) == "false" {
				return true
			}
		}
		return false
	}
	covered := map[string]bool{}
	for _, p := range tmpl.Names("AWS::SQS::QueuePolicy") {
		props := tmpl.Resources[p].Properties
		if !denies(props["PolicyDocument"], "sqs:SendMessage") || !denies(props["PolicyDocument"], "sqs:ReceiveMessage") {
			continue
		}
		for _, q := range List(props["Queues"]) {
			covered[Str(Map(q)["Ref"])] = true
		}
	}
	for _, q := range tmpl.Names("AWS::SQS::Queue") {
		if !covered[q] {
			t.Errorf("queue %s has no AWS::SQS::QueuePolicy denying sqs:* without aws:SecureTransport", q)
		}
	}
	for _, p := range tmpl.Names("AWS::S3::BucketPolicy") {
		props := tmpl.Resources[p].Properties
		if denies(props["PolicyDocument"], "s3:GetObject") && denies(props["PolicyDocument"], "s3:PutObject") {
			covered[Str(Map(props["Bucket"])["Ref"])] = true
		}
	}
	for _, b := range tmpl.Names("AWS::S3::Bucket") {
		if !covered[b] {
			t.Errorf("bucket %s has no AWS::S3::BucketPolicy denying s3:* without aws:SecureTransport", b)
		}
	}
}

// TestLogGroupsDeclared: each function has its log group, with the
// retention the register declares for function logs (what the privacy
// notice tells people), in a value CloudWatch Logs accepts.
func TestLogGroupsDeclared(t *testing.T) {
	tmpl := readTemplate(t)
	reg := register.MustLoad("museum")
	logs, ok := reg.Log("function-logs")
	if !ok {
		t.Fatal("the register declares no function-logs")
	}
	days := logs.Keep.Days + 30*logs.Keep.Months + 365*logs.Keep.Years
	allowed := []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	if !slices.Contains(allowed, days) {
		t.Fatalf("function-logs keep %d days, which CloudWatch Logs does not offer (%v)", days, allowed)
	}
	groups := map[string]Resource{} // function → its log group
	for _, lg := range tmpl.Names("AWS::Logs::LogGroup") {
		r := tmpl.Resources[lg]
		name := Str(Map(r.Properties["LogGroupName"])["Fn::Sub"])
		fn, ok := strings.CutPrefix(name, "/aws/lambda/${")
		if ok {
			groups[strings.TrimSuffix(fn, "}")] = r
		}
	}
	for _, fn := range tmpl.Names("AWS::Serverless::Function") {
		lg, ok := groups[fn]
		if !ok {
			t.Errorf("%s has no AWS::Logs::LogGroup named !Sub /aws/lambda/${%s}: Lambda's own never expires", fn, fn)
			continue
		}
		if got, _ := strconv.Atoi(Str(lg.Properties["RetentionInDays"])); got != days {
			t.Errorf("%s's log group keeps %d days; the register declares %d", fn, got, days)
		}
	}
}

// TestOutputs: what a city IT team and the staff tool need from a stack.
func TestOutputs(t *testing.T) {
	tmpl := readTemplate(t)
	want := map[string]string{"ApiUrl": "HttpApi"}
	for _, tb := range tmpl.Names("AWS::DynamoDB::Table") {
		want[tb+"Name"] = tb
	}
	for _, q := range tmpl.Names("AWS::SQS::Queue") {
		want[q+"Url"] = q
	}
	for _, b := range tmpl.Names("AWS::S3::Bucket") {
		want[b+"Name"] = b
	}
	for i := 1; i <= 3; i++ {
		want["DkimRecord"+strconv.Itoa(i)+"Name"] = "MailIdentity.DkimDNSTokenName" + strconv.Itoa(i)
		want["DkimRecord"+strconv.Itoa(i)+"Value"] = "MailIdentity.DkimDNSTokenValue" + strconv.Itoa(i)
	}
	res := Resolver{Params: map[string]string{"AWS::Region": "eu-north-1", "AWS::URLSuffix": "amazonaws.com"}}
	for key, of := range want {
		o, ok := tmpl.Outputs[key]
		if !ok {
			t.Errorf("no output %s (%s)", key, of)
			continue
		}
		if v := res.Resolve(o["Value"]); !strings.Contains(v, "<"+of) {
			t.Errorf("output %s = %s, want it from %s", key, v, of)
		}
		if Str(o["Description"]) == "" {
			t.Errorf("output %s has no Description", key)
		}
	}
}
