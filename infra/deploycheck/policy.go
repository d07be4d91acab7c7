package deploycheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Request is one KMS (or other) API request as the policy evaluator sees it.
type Request struct {
	Principal string            // the caller's aws:PrincipalArn, or a service principal
	Action    string            // kms:Decrypt
	Context   map[string]string // condition keys present in the request
}

// KeyPolicyAllows evaluates a key policy for a request the way AWS KMS does
// when IAM policies are assumed to allow everything: a statement giving the
// account root access delegates to IAM, so any principal of the account is
// allowed by it; an explicit Deny always wins. account is the account id,
// res resolves intrinsic values. An unknown condition operator is an error,
// so the check cannot be fooled by a condition it does not understand.
func KeyPolicyAllows(policy map[string]any, req Request, account string, res Resolver) (bool, error) {
	allowed := false
	for _, st := range List(policy["Statement"]) {
		s := Map(st)
		if !actionMatches(s["Action"], req.Action) || !principalMatches(s["Principal"], req.Principal, account, res) {
			continue
		}
		ok, err := conditionsHold(Map(s["Condition"]), req, res)
		if err != nil {
			return false, fmt.Errorf("statement %s: %w", Str(s["Sid"]), err)
		}
		if !ok {
			continue
		}
		switch Str(s["Effect"]) {
		case "Deny":
			return false, nil
		case "Allow":
			allowed = true
		}
	}
	return allowed, nil
}

func actionMatches(v any, action string) bool {
	for _, a := range Strings(v) {
		if glob(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func principalMatches(v any, principal, account string, res Resolver) bool {
	if Str(v) == "*" {
		return true
	}
	for kind, ids := range Map(v) {
		for _, id := range List(ids) {
			p := res.Resolve(id)
			switch {
			case p == "*":
				return true
			case kind == "AWS" && (p == "arn:aws:iam::"+account+":root" || p == account):
				// Delegation to IAM: every principal of the account.
				if strings.HasPrefix(principal, "arn:aws:iam::"+account+":") || strings.HasPrefix(principal, "arn:aws:sts::"+account+":") {
					return true
				}
			case p == principal:
				return true
			}
		}
	}
	return false
}

func conditionsHold(cond map[string]any, req Request, res Resolver) (bool, error) {
	for op, kv := range cond {
		base, ifExists := strings.CutSuffix(op, "IfExists")
		switch base {
		case "StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals", "StringLike", "ArnLike", "StringNotLike", "ArnNotLike", "Bool", "Null":
		default:
			return false, fmt.Errorf("condition operator %s is not understood by this check", op)
		}
		for key, want := range Map(kv) {
			got, present := lookup(req.Context, key)
			if !present {
				switch {
				case ifExists:
					continue
				case strings.Contains(base, "Not"):
					continue // a negated operator holds when the key is absent
				case base == "Null":
				default:
					return false, nil
				}
			}
			var wants []string
			for _, w := range List(want) {
				wants = append(wants, res.Resolve(w))
			}
			any := func(f func(w string) bool) bool {
				for _, w := range wants {
					if f(w) {
						return true
					}
				}
				return false
			}
			var hold bool
			switch base {
			case "StringEquals", "ArnEquals":
				hold = any(func(w string) bool { return got == w })
			case "StringNotEquals", "ArnNotEquals":
				hold = !any(func(w string) bool { return got == w })
			case "StringLike", "ArnLike":
				hold = any(func(w string) bool { return glob(w, got) })
			case "StringNotLike", "ArnNotLike":
				hold = !any(func(w string) bool { return glob(w, got) })
			case "Bool":
				hold = any(func(w string) bool { return strings.EqualFold(got, w) })
			case "Null":
				hold = any(func(w string) bool { return (w == "true") == !present })
			}
			if !hold {
				return false, nil
			}
		}
	}
	return true, nil
}

// lookup finds a condition key; key names are case-insensitive.
func lookup(ctx map[string]string, key string) (string, bool) {
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// glob matches IAM wildcards: * is any run of characters (slashes too), ? one.
func glob(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
}
