package deploycheck

import (
	"strings"
	"testing"
)

const account = "111122223333"

func readTemplate(t *testing.T) *Template {
	t.Helper()
	tmpl, err := ReadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// TestIdentityCodesOpenOnlyForInvoicing reads the key policy of the key the
// bookings function seals identity codes with and asks, for every KMS action
// that could hand someone the plaintext of an existing identity-code data
// key, whether any principal but InvoicingPrincipalArn and the weekly
// collection-agency transfer's role (LibraryTransferFunction, and only the
// patrons table's codes) could do it — assuming the worst of IAM: every
// principal of the account holds kms:* on the key.
func TestIdentityCodesOpenOnlyForInvoicing(t *testing.T) {
	tmpl := readTemplate(t)
	keyRef := Map(Map(Map(tmpl.Resources["BookingsFunction"].Properties["Environment"])["Variables"])["DATA_KEY_ID"])
	keyName := Str(keyRef["Ref"])
	key, ok := tmpl.Resources[keyName]
	if !ok || key.Type != "AWS::KMS::Key" {
		t.Fatalf("BookingsFunction's DATA_KEY_ID names %v, not a key of the template", keyRef)
	}
	policy := Map(key.Properties["KeyPolicy"])
	invoicing := "arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/eu-north-1/AWSReservedSSO_Invoicing_0123456789abcdef"
	res := Resolver{Params: map[string]string{"AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": "eu-north-1", "AWS::StackName": "rekisteri", "InvoicingPrincipalArn": invoicing}}
	// The transfer function's role as IAM names it: the template's path, a
	// name CloudFormation makes up.
	if Str(Map(Map(Map(tmpl.Resources["LibraryTransferFunction"].Properties["Environment"])["Variables"])["DATA_KEY_ID"])["Ref"]) != keyName {
		t.Fatalf("LibraryTransferFunction's DATA_KEY_ID is not %s", keyName)
	}
	path := res.Resolve(tmpl.Resources["LibraryTransferFunction"].Properties["RolePath"])
	if !strings.HasPrefix(path, "/rekisteri/") || !strings.HasSuffix(path, "/") {
		t.Fatalf("LibraryTransferFunction's RolePath resolves to %q: want a path of this stack's own", path)
	}
	library := "arn:aws:iam::" + account + ":role" + path + "rekisteri-LibraryTransferFunctionRole-ABC"
	// The public library function seals identity codes but must not open
	// one: its role, wherever its path puts it.
	public := "/"
	if p, ok := tmpl.Resources["LibraryFunction"].Properties["RolePath"]; ok {
		public = res.Resolve(p)
	}

	others := []string{
		"arn:aws:iam::" + account + ":root",
		"arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/eu-north-1/AWSReservedSSO_AdministratorAccess_fedcba9876543210",
		"arn:aws:iam::" + account + ":role/rekisteri-BookingsFunctionRole-ABC",
		"arn:aws:iam::" + account + ":role" + public + "rekisteri-LibraryFunctionRole-ABC",
		"arn:aws:iam::" + account + ":user/ops",
		"arn:aws:iam::999988887777:role/OtherAccount",
		"dynamodb.amazonaws.com",
		// The transfer role's name without its path, a path that only
		// begins like its, another stack's transfer role, and a role of the
		// same name in another account.
		"arn:aws:iam::" + account + ":role/rekisteri-LibraryTransferFunctionRole-ABC",
		"arn:aws:iam::" + account + ":role/rekisteri/library/rekisteri-LibraryTransferFunctionRole-ABC",
		"arn:aws:iam::" + account + ":role/staging/library-transfer/staging-LibraryTransferFunctionRole-ABC",
		"arn:aws:iam::999988887777:role" + path + "rekisteri-LibraryTransferFunctionRole-ABC",
	}
	hetu := func(p string, extra map[string]string) map[string]string {
		c := map[string]string{
			"aws:PrincipalArn":                  p,
			"kms:EncryptionContext:table":       "bookings",
			"kms:EncryptionContext:booking":     "KAMU-AAAA-BBBB",
			"kms:EncryptionContext:attribute":   "hetu",
			"kms:EncryptionContextKeys":         "attribute",
			"kms:CallerAccount":                 account,
			"kms:ViaService":                    "",
			"kms:GrantIsForAWSResource":         "false",
			"kms:ReEncryptOnSameKey":            "false",
			"kms:EncryptionAlgorithm":           "SYMMETRIC_DEFAULT",
			"kms:RequestAlias":                  "",
			"kms:GrantOperations":               "Decrypt",
			"kms:GranteePrincipal":              p,
			"kms:RetiringPrincipal":             p,
			"kms:DataKeyPairSpec":               "",
			"kms:ReEncryptFrom":                 "",
			"aws:SourceAccount":                 account,
			"aws:ViaAWSService":                 "false",
			"aws:SecureTransport":               "true",
			"aws:PrincipalAccount":              account,
			"aws:PrincipalType":                 "AssumedRole",
			"aws:CalledVia":                     "",
			"kms:EncryptionContext:aws:unknown": "",
		}
		for k, v := range extra {
			if v == "" {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	// What can yield the plaintext of an existing identity-code data key:
	// decrypting it; re-encrypting it (from its context, to any context or
	// key the caller can then decrypt); a grant the caller gives itself
	// (with the hetu context as constraint, or with none at all).
	type attempt struct {
		name    string
		action  string
		context func(p string) map[string]string
	}
	attempts := []attempt{
		{"Decrypt", "kms:Decrypt", func(p string) map[string]string { return hetu(p, nil) }},
		{"Decrypt through a service", "kms:Decrypt", func(p string) map[string]string {
			return hetu(p, map[string]string{"kms:ViaService": "dynamodb.eu-north-1.amazonaws.com", "aws:ViaAWSService": "true"})
		}},
		{"ReEncryptFrom the hetu context", "kms:ReEncryptFrom", func(p string) map[string]string { return hetu(p, nil) }},
		{"ReEncryptFrom, context evaluated on the destination only", "kms:ReEncryptFrom", func(p string) map[string]string {
			return hetu(p, map[string]string{"kms:EncryptionContext:attribute": "", "kms:EncryptionContext:table": "", "kms:EncryptionContext:booking": "", "kms:EncryptionContextKeys": ""})
		}},
		{"ReEncryptTo another context", "kms:ReEncryptTo", func(p string) map[string]string {
			return hetu(p, map[string]string{"kms:EncryptionContext:attribute": "not-hetu"})
		}},
		{"CreateGrant constrained to the hetu context", "kms:CreateGrant", func(p string) map[string]string { return hetu(p, nil) }},
		{"CreateGrant without constraints", "kms:CreateGrant", func(p string) map[string]string {
			return hetu(p, map[string]string{"kms:EncryptionContext:attribute": "", "kms:EncryptionContext:table": "", "kms:EncryptionContext:booking": "", "kms:EncryptionContextKeys": ""})
		}},
		{"CreateGrant for ReEncrypt", "kms:CreateGrant", func(p string) map[string]string {
			return hetu(p, map[string]string{"kms:GrantOperations": "ReEncryptFrom", "kms:EncryptionContext:attribute": ""})
		}},
	}
	for _, a := range attempts {
		for _, p := range others {
			// A booking's identity code, and a patron's.
			for _, table := range []string{"bookings", "patrons"} {
				ctx := a.context(p)
				if _, ok := ctx["kms:EncryptionContext:table"]; ok {
					ctx["kms:EncryptionContext:table"] = table
				}
				t.Run(a.name+"/"+table+"/"+p, func(t *testing.T) {
					ok, err := KeyPolicyAllows(policy, Request{Principal: p, Action: a.action, Context: ctx}, account, res)
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						t.Errorf("%s may %s on %s with a %s identity code: the key policy must refuse it to all but InvoicingPrincipalArn and the transfer", p, a.action, keyName, table)
					}
				})
			}
		}
		// The transfer function's role: no booking's identity code, nor any
		// other table's, and nothing but a Decrypt of a patron's.
		for _, table := range []string{"bookings", "transfers", "patrons"} {
			if table == "patrons" && a.action == "kms:Decrypt" {
				continue // the one thing the role may do (asserted below)
			}
			ctx := a.context(library)
			if _, ok := ctx["kms:EncryptionContext:table"]; ok {
				ctx["kms:EncryptionContext:table"] = table
			}
			t.Run(a.name+"/transfer role/"+table, func(t *testing.T) {
				ok, err := KeyPolicyAllows(policy, Request{Principal: library, Action: a.action, Context: ctx}, account, res)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					t.Errorf("the transfer function's role may %s (%s) with a %s identity code: it may only Decrypt the patrons'", a.action, a.name, table)
				}
			})
		}
	}
	// The transfer function's role can open a patron's identity code, itself and not through a service.
	if ok, err := KeyPolicyAllows(policy, Request{Principal: library, Action: "kms:Decrypt", Context: hetu(library, map[string]string{"kms:EncryptionContext:table": "patrons", "kms:EncryptionContext:booking": "", "kms:EncryptionContext:record": "0123abcd"})}, account, res); err != nil || !ok {
		t.Errorf("the transfer function's role cannot open a patron's identity code for the transfer (%v)", err)
	}
	// The invoicing role still can, and the bookings function can still seal.
	if ok, err := KeyPolicyAllows(policy, Request{Principal: invoicing, Action: "kms:Decrypt", Context: hetu(invoicing, nil)}, account, res); err != nil || !ok {
		t.Errorf("InvoicingPrincipalArn cannot decrypt identity codes (%v)", err)
	}
	bookings := others[2]
	if ok, err := KeyPolicyAllows(policy, Request{Principal: bookings, Action: "kms:GenerateDataKey", Context: hetu(bookings, nil)}, account, res); err != nil || !ok {
		t.Errorf("the bookings function can no longer seal identity codes (%v)", err)
	}
	// DynamoDB's grant for table encryption must still be possible.
	grant := hetu(others[1], map[string]string{"kms:GrantIsForAWSResource": "true", "kms:ViaService": "dynamodb.eu-north-1.amazonaws.com", "kms:EncryptionContext:attribute": ""})
	if ok, err := KeyPolicyAllows(policy, Request{Principal: others[1], Action: "kms:CreateGrant", Context: grant}, account, res); err != nil || !ok {
		t.Errorf("DynamoDB could not create the grant table encryption needs (%v)", err)
	}
	// With InvoicingPrincipalArn empty, nobody can open a booking's.
	empty := Resolver{Params: map[string]string{"AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": "eu-north-1", "AWS::StackName": "rekisteri", "InvoicingPrincipalArn": ""}}
	if ok, _ := KeyPolicyAllows(policy, Request{Principal: invoicing, Action: "kms:Decrypt", Context: hetu(invoicing, nil)}, account, empty); ok {
		t.Error("with InvoicingPrincipalArn empty, identity codes still open")
	}
}

// TestKeyPolicyEvaluator proves the evaluator on small policies, so a pass
// above means something.
func TestKeyPolicyEvaluator(t *testing.T) {
	root := map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": "kms:*", "Resource": "*"}
	deny := func(actions any, cond map[string]any) map[string]any {
		return map[string]any{"Effect": "Deny", "Principal": "*", "Action": actions, "Resource": "*", "Condition": cond}
	}
	res := Resolver{Params: map[string]string{"AWS::Partition": "aws", "AWS::AccountId": account, "Inv": "arn:aws:iam::" + account + ":role/inv"}}
	admin := "arn:aws:iam::" + account + ":role/admin"
	hetu := map[string]string{"kms:EncryptionContext:attribute": "hetu", "aws:PrincipalArn": admin}
	tests := []struct {
		name   string
		st     []any
		action string
		ctx    map[string]string
		want   bool
		err    bool
	}{
		{"root delegation allows all", []any{root}, "kms:ReEncryptFrom", hetu, true, false},
		{"other account not allowed", []any{root}, "kms:Decrypt", map[string]string{}, false, false},
		{"deny decrypt leaves re-encrypt", []any{root, deny("kms:Decrypt", map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:attribute": "hetu"}})}, "kms:ReEncryptFrom", hetu, true, false},
		{"deny wildcard", []any{root, deny("kms:ReEncrypt*", nil)}, "kms:ReEncryptFrom", hetu, false, false},
		{"deny except principal", []any{root, deny("kms:Decrypt", map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalArn": map[string]any{"Ref": "Inv"}}})}, "kms:Decrypt", hetu, false, false},
		{"absent key in StringEquals: no deny", []any{root, deny("kms:Decrypt", map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:x": "y"}})}, "kms:Decrypt", hetu, true, false},
		{"unknown operator is an error", []any{root, deny("kms:Decrypt", map[string]any{"NumericLessThan": map[string]any{"a": "1"}})}, "kms:Decrypt", hetu, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := admin
			if tc.name == "other account not allowed" {
				p = "arn:aws:iam::999988887777:role/x"
			}
			got, err := KeyPolicyAllows(map[string]any{"Statement": tc.st}, Request{Principal: p, Action: tc.action, Context: tc.ctx}, account, res)
			if (err != nil) != tc.err || (err == nil && got != tc.want) {
				t.Fatalf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}
