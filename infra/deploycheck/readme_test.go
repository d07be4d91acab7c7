package deploycheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSection returns the text of "## name" in README.md.
func readmeSection(t *testing.T, readme, name string) string {
	t.Helper()
	i := strings.Index(readme, "\n## "+name+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", name)
	}
	rest := readme[i+1:]
	if j := strings.Index(rest[3:], "\n## "); j >= 0 {
		rest = rest[:j+3]
	}
	return rest
}

// TestReadmeDeploy: the README's Deploy section is the path a city IT team
// walks; it must use samconfig.toml, explain InvoicingPrincipalArn for SSO,
// give a policy the invoicing role can run the staff tool with, and cover
// the alarm subscription and the mail DLQ redrive.
func TestReadmeDeploy(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	deploy := readmeSection(t, string(b), "Deploy")
	for _, want := range []string{
		"samconfig.toml",
		"arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_<PermissionSet>_<hash>",
		"aws:PrincipalArn",
		"Confirm subscription",
		"start-message-move-task",
		"ProductionAccessEnabled",
	} {
		if !strings.Contains(deploy, want) {
			t.Errorf("README Deploy does not say %q", want)
		}
	}
	// No command line that SAM would cut at a space.
	if regexp.MustCompile(`--parameter-overrides[^\n]*\n?[^\n]*MailFrom="`).MatchString(deploy) {
		t.Error("README Deploy still passes MailFrom on the command line")
	}
	// The invoicing role's policy: valid JSON, granting what the staff tool calls.
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(deploy)
	if m == nil {
		t.Fatal("README Deploy has no JSON policy for the invoicing role")
	}
	var policy map[string]any
	if err := json.Unmarshal([]byte(m[1]), &policy); err != nil {
		t.Fatalf("the invoicing policy is not JSON: %v", err)
	}
	granted := map[string]bool{}
	for _, st := range List(policy["Statement"]) {
		for _, a := range Strings(Map(st)["Action"]) {
			granted[a] = true
		}
	}
	root, _ := filepath.Abs("../..")
	var files []string
	for _, f := range []string{"infra/staff/main.go", "infra/staff/stack.go", "internal/booking/invoice.go", "internal/feedback/stats.go", "internal/audit/audit.go"} {
		files = append(files, filepath.Join(root, f))
	}
	use := scanFiles(t, files)
	use.actions["kms:Decrypt"] = true // fieldcrypt.Open, the one decryption
	for _, a := range keys(use.actions) {
		if !granted[a] {
			t.Errorf("the staff tool calls %s; the README's invoicing policy does not grant it", a)
		}
	}
	for idx := range use.indexes {
		if !strings.Contains(m[1], "/index/"+idx) {
			t.Errorf("the staff tool queries index %s; the README's policy does not name it", idx)
		}
	}
}
