package deploycheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sdkCalls maps an SDK request type (import path and type name) to the IAM
// action it needs. Items of TransactWriteItems/TransactGetItems count as the
// action of their kind, which is what IAM checks for them.
var sdkCalls = map[string]map[string]string{
	"github.com/aws/aws-sdk-go-v2/service/dynamodb": {
		"GetItemInput": "dynamodb:GetItem", "PutItemInput": "dynamodb:PutItem", "UpdateItemInput": "dynamodb:UpdateItem",
		"DeleteItemInput": "dynamodb:DeleteItem", "QueryInput": "dynamodb:Query", "ScanInput": "dynamodb:Scan",
		"BatchWriteItemInput": "dynamodb:BatchWriteItem", "BatchGetItemInput": "dynamodb:BatchGetItem", "DescribeTableInput": "dynamodb:DescribeTable",
	},
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types": {
		"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
		"ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem",
	},
	"github.com/aws/aws-sdk-go-v2/service/sqs": {
		"SendMessageInput": "sqs:SendMessage", "SendMessageBatchInput": "sqs:SendMessage", "ReceiveMessageInput": "sqs:ReceiveMessage",
		"DeleteMessageInput": "sqs:DeleteMessage", "DeleteMessageBatchInput": "sqs:DeleteMessage",
	},
	"github.com/aws/aws-sdk-go-v2/service/sesv2": {
		// SES v2 SendEmail is authorised as ses:SendEmail whatever its content (Raw included).
		"SendEmailInput": "ses:SendEmail", "SendBulkEmailInput": "ses:SendBulkEmail",
	},
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager": {"GetSecretValueInput": "secretsmanager:GetSecretValue"},
	"github.com/aws/aws-sdk-go-v2/service/cloudformation": {"DescribeStacksInput": "cloudformation:DescribeStacks"},
	"github.com/aws/aws-sdk-go-v2/service/s3": {
		// A presigned GET is authorised as the signer's s3:GetObject when it is used.
		"PutObjectInput": "s3:PutObject", "GetObjectInput": "s3:GetObject", "DeleteObjectInput": "s3:DeleteObject",
	},
	// The exports bucket's own REST client (one type per operation).
	"rekisteri/internal/s3exports": {"putObject": "s3:PutObject", "getObject": "s3:GetObject", "deleteObject": "s3:DeleteObject"},
	"github.com/aws/aws-sdk-go-v2/service/kms": {
		"GenerateDataKeyInput": "kms:GenerateDataKey", "DecryptInput": "kms:Decrypt", "EncryptInput": "kms:Encrypt",
	},
}

// notInTheFunction are files linked into a function that its Lambda never
// runs, with the reason.
var notInTheFunction = map[string]string{
	"internal/booking/invoice.go": "the invoice export runs only in the staff tool, under a person's own credentials",
	"internal/feedback/stats.go":  "survey statistics run only in the staff tool",
}

// ranBy splits a package two functions link between them: its files
// matching a pattern run only in the functions named (a composition root
// each, over one package), and the others' scans leave them out.
var ranBy = []struct {
	pattern   string
	functions []string
	why       string
}{
	// The weekly transfer: the only code of the library that opens identity
	// codes and writes files; its own function, whose role alone may.
	{"internal/library/transfer.go", []string{"librarytransfer"}, "the weekly transfer"},
	{"internal/library/transfer_file.go", []string{"librarytransfer"}, "the weekly transfer's files"},
	{"internal/library/transfer_select.go", []string{"librarytransfer"}, "the weekly transfer's overdue loans"},
	// What the public library function does; the transfer has no route.
	{"internal/library/circulation*.go", []string{"library"}, "the circulation feed"},
	{"internal/library/loans.go", []string{"library"}, "the circulation feed's loans"},
	{"internal/library/stats.go", []string{"library"}, "the circulation feed's statistics"},
	{"internal/library/transfer_resolve.go", []string{"library"}, "a return that resolves a transfer"},
	{"internal/library/prereg*.go", []string{"library"}, "the pre-registration form"},
	{"internal/library/collect.go", []string{"library"}, "card collection (the staff tool)"},
	{"internal/library/pin.go", []string{"library"}, "the PIN link"},
	{"internal/library/login.go", []string{"library"}, "self-service"},
	{"internal/library/lockout.go", []string{"library"}, "self-service"},
	{"internal/library/session.go", []string{"library"}, "self-service"},
	{"internal/library/lastuse.go", []string{"library"}, "self-service"},
	{"internal/library/me*.go", []string{"library"}, "self-service"},
	{"internal/library/requests.go", []string{"library"}, "self-service requests"},
}

// runsIn tells whether function dir's Lambda runs the file rel.
func runsIn(rel, dir string) bool {
	for _, r := range ranBy {
		if ok, _ := filepath.Match(r.pattern, rel); ok {
			return slices.Contains(r.functions, dir)
		}
	}
	return true
}

// linkedNotRun are SDK calls of packages a function links whose code paths
// it never runs, with the reason; everything else it calls must be granted.
var linkedNotRun = map[string]map[string]string{
	"BookingsFunction": {
		"kms:Decrypt": "fieldcrypt.Open: only the staff tool's invoice export opens identity codes",
	},
	"FeedbackFunction": {
		"dynamodb:Query":      "the newsletter package's subscription reads; feedback only hands signups over (PutItem SIGNUP#)",
		"dynamodb:UpdateItem": "the newsletter package's confirm/unsubscribe and signup relay",
		"dynamodb:DeleteItem": "the newsletter package's handover intake",
		"dynamodb:GetItem":    "the newsletter package's campaign web version",
	},
	"RetentionFunction": {
		"dynamodb:BatchGetItem": "recordstore's whole-item reads (Items, Fetch, Held): only data-subject requests read whole records",
	},
	"LibraryFunction": {
		"kms:Decrypt":     "fieldcrypt.Open: only LibraryTransferFunction opens identity codes (the key policy lets no other role of the stack)",
		"s3:PutObject":    "s3exports: the transfers bucket is LibraryTransferFunction's",
		"s3:GetObject":    "s3exports: the transfers bucket is LibraryTransferFunction's",
		"s3:DeleteObject": "s3exports: the transfers bucket is LibraryTransferFunction's",
	},
	"LibraryTransferFunction": {
		"s3:GetObject":                  "s3exports.Link: the weekly transfer only puts its files; the agency collects them under its own access",
		"s3:DeleteObject":               "s3exports.Delete: the transfers bucket's lifecycle rule deletes the files (30 days)",
		"kms:GenerateDataKey":           "fieldcrypt.Seal: the transfer seals nothing; identity codes are sealed by LibraryFunction",
		"secretsmanager:GetSecretValue": "keyring: the transfer signs no link and derives no subject key",
		"sqs:SendMessage":               "sqsqueue: self-service requests are LibraryFunction's",
	},
	"MailerFunction": {
		"dynamodb:PutItem": "mail.Job's outbox write, done by the functions that queue mail",
	},
}

// codeUse is what a function's code calls: IAM actions and index names.
type codeUse struct {
	actions map[string]bool
	indexes map[string]bool
}

// scanFunction reads every non-test file of the packages ./functions/<dir>
// links (this module's only) for SDK request literals and IndexName values.
func scanFunction(t *testing.T, dir string) codeUse {
	t.Helper()
	root, _ := filepath.Abs("../..")
	// The files as `make build` compiles them for Lambda.
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "-f", `{{if .Module}}{{if eq .Module.Path "rekisteri"}}{{.Dir}}|{{join .GoFiles ","}}{{end}}{{end}}`, "./functions/"+dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./functions/%s: %v", dir, err)
	}
	var paths []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkgDir, files, ok := strings.Cut(line, "|")
		if !ok || files == "" {
			continue
		}
		for _, name := range strings.Split(files, ",") {
			path := filepath.Join(pkgDir, name)
			rel, _ := filepath.Rel(root, path)
			if _, skip := notInTheFunction[filepath.ToSlash(rel)]; skip || !runsIn(filepath.ToSlash(rel), dir) {
				continue
			}
			paths = append(paths, path)
		}
	}
	return scanFiles(t, paths)
}

// scanFiles reads Go files for SDK request literals and IndexName values.
func scanFiles(t *testing.T, paths []string) codeUse {
	t.Helper()
	use := codeUse{actions: map[string]bool{}, indexes: map[string]bool{}}
	fset := token.NewFileSet()
	files := make([]*ast.File, len(paths))
	// String constants by package import path and name, so an IndexName
	// given as a constant (record.IndexByExpiry) counts as its value.
	consts := map[string]string{}
	for i, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
		pkg := "rekisteri/" + filepath.ToSlash(filepath.Dir(relToRepo(path)))
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					for j, name := range vs.Names {
						if j < len(vs.Values) {
							if lit, ok := vs.Values[j].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[pkg+"."+name.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
	}
	for i, path := range paths {
		f := files[i]
		pkg := "rekisteri/" + filepath.ToSlash(filepath.Dir(relToRepo(path)))
		imports := map[string]string{} // local name → path
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			local := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				local = im.Name.Name
			}
			imports[local] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok { // a package's own request type
					if a, ok := sdkCalls[pkg][id.Name]; ok {
						use.actions[a] = true
					}
				}
				if sel, ok := x.Type.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok {
						if a, ok := sdkCalls[imports[id.Name]][sel.Sel.Name]; ok {
							use.actions[a] = true
						}
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "IndexName" {
					ast.Inspect(x.Value, func(n ast.Node) bool {
						switch v := n.(type) {
						case *ast.BasicLit:
							if v.Kind == token.STRING {
								s, _ := strconv.Unquote(v.Value)
								use.indexes[s] = true
							}
						case *ast.SelectorExpr:
							if id, ok := v.X.(*ast.Ident); ok {
								if s, ok := consts[imports[id.Name]+"."+v.Sel.Name]; ok {
									use.indexes[s] = true
								}
							}
							return false
						case *ast.Ident:
							if s, ok := consts[pkg+"."+v.Name]; ok {
								use.indexes[s] = true
							}
						}
						return true
					})
				}
			}
			return true
		})
	}
	return use
}

// streamRead are the actions Lambda's event source mapping needs to read a
// DynamoDB stream for the function: granted on that stream only.
var streamRead = map[string]bool{"dynamodb:DescribeStream": true, "dynamodb:GetRecords": true, "dynamodb:GetShardIterator": true, "dynamodb:ListStreams": true}

// TestIAMAsNarrowAsTheCode: each function's policies grant no DynamoDB,
// SQS, SES, Secrets Manager or KMS action its code does not call, name the
// indexes it queries (never index/*), and let it decrypt through Secrets
// Manager only when it reads a secret.
func TestIAMAsNarrowAsTheCode(t *testing.T) {
	tmpl := readTemplate(t)
	fns := tmpl.Names("AWS::Serverless::Function")
	if len(fns) == 0 {
		t.Fatal("no functions")
	}
	for _, fn := range fns {
		t.Run(fn, func(t *testing.T) {
			dir := strings.ToLower(strings.TrimSuffix(fn, "Function"))
			use := scanFunction(t, dir)
			if len(use.actions) == 0 {
				t.Fatalf("found no SDK calls in ./functions/%s: the scan is broken", dir)
			}
			usesDynamoDB := false
			for a := range use.actions {
				usesDynamoDB = usesDynamoDB || strings.HasPrefix(a, "dynamodb:")
			}
			var granted, streams []string
			for _, ev := range Map(tmpl.Resources[fn].Properties["Events"]) {
				if Str(Map(ev)["Type"]) == "DynamoDB" {
					streams = append(streams, Resolver{}.Resolve(Map(Map(ev)["Properties"])["Stream"]))
				}
			}
			for _, p := range List(tmpl.Resources[fn].Properties["Policies"]) {
				for _, st := range List(Map(p)["Statement"]) {
					s := Map(st)
					if Str(s["Effect"]) != "Allow" {
						continue
					}
					sid := Str(s["Sid"])
					viaService := Map(Map(s["Condition"])["StringLike"])["kms:ViaService"] != nil || Map(Map(s["Condition"])["StringEquals"])["kms:ViaService"] != nil
					for _, a := range Strings(s["Action"]) {
						if !viaService { // a call through a service is not the code's own call
							granted = append(granted, a)
						}
						svc, _, _ := strings.Cut(a, ":")
						if !slices.Contains([]string{"dynamodb", "sqs", "ses", "secretsmanager", "kms", "s3"}, svc) {
							continue
						}
						if strings.Contains(a, "*") {
							t.Errorf("%s grants %s: name the actions the code calls", sid, a)
							continue
						}
						via := List(Map(Map(s["Condition"])["StringLike"])["kms:ViaService"])
						via = append(via, List(Map(Map(s["Condition"])["StringEquals"])["kms:ViaService"])...)
						if (a == "kms:Decrypt" || a == "kms:GenerateDataKey") && len(via) > 0 {
							for _, v := range via {
								r := Resolver{Params: map[string]string{"AWS::Region": "eu-north-1"}}.Resolve(v)
								switch {
								case strings.HasPrefix(r, "s3."):
									// SSE-KMS: S3 generates a data key for each object put, and decrypts it for each get.
									if a == "kms:GenerateDataKey" && !use.actions["s3:PutObject"] || a == "kms:Decrypt" && !use.actions["s3:GetObject"] {
										t.Errorf("%s: %s through S3, but %s does not put or get objects", sid, a, fn)
									}
								case strings.HasPrefix(r, "secretsmanager."):
									if !use.actions["secretsmanager:GetSecretValue"] {
										t.Errorf("%s: kms:Decrypt through Secrets Manager, but %s reads no secret", sid, fn)
									}
								case strings.HasPrefix(r, "dynamodb."):
									if !usesDynamoDB {
										t.Errorf("%s: kms:Decrypt through DynamoDB, but %s calls no DynamoDB", sid, fn)
									}
								}
							}
							continue
						}
						if streamRead[a] {
							// Lambda's event source mapping reads the stream with the role.
							for _, r := range List(s["Resource"]) {
								if !slices.Contains(streams, Resolver{}.Resolve(r)) {
									t.Errorf("%s grants %s on %s, which is no stream of %s's events (%v)", sid, a, Resolver{}.Resolve(r), fn, streams)
								}
							}
							continue
						}
						if !use.actions[a] {
							t.Errorf("%s grants %s, which no code of %s calls", sid, a, fn)
						}
					}
					for _, r := range List(s["Resource"]) {
						res := Resolver{}.Resolve(r)
						if _, idx, ok := strings.Cut(res, "/index/"); ok {
							if idx == "*" || strings.Contains(idx, "*") {
								t.Errorf("%s: %s; name the indexes %s queries (%v)", sid, res, fn, keys(use.indexes))
							} else if !use.indexes[idx] {
								t.Errorf("%s: index %s, which %s never queries (it queries %v)", sid, idx, fn, keys(use.indexes))
							}
						}
					}
				}
			}
			// The other way: what the code calls is granted, unless the
			// function links that code without ever running it.
			for _, a := range keys(use.actions) {
				if slices.Contains(granted, a) {
					continue
				}
				if why, ok := linkedNotRun[fn][a]; ok {
					t.Logf("%s: %s not granted: %s", fn, a, why)
					continue
				}
				t.Errorf("%s's code calls %s, which its policies do not grant (or, if the Lambda never runs that code, say so in linkedNotRun)", fn, a)
			}
			t.Logf("%s calls %v; indexes %v; granted %v", fn, keys(use.actions), keys(use.indexes), granted)
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// relToRepo is path relative to the repository root (the module's import
// paths are rekisteri/ + that directory).
func relToRepo(path string) string {
	root, _ := filepath.Abs("../..")
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return rel
}
