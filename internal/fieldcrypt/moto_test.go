// An external test package: infra/local builds every function, and a function
// that comes to use fieldcrypt would otherwise make an import cycle.
package fieldcrypt_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"rekisteri/infra/local"
	"rekisteri/internal/fieldcrypt"
)

// motoURL is the moto_server `make test` started, or one started for this
// test when run on its own; the test never skips.
func motoURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REKISTERI_TEST_MOTO"); u != "" {
		return u
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	em, err := local.StartEmulators(ctx, local.EmulatorOptions{RepoRoot: "../..", LogDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start emulators: %v", err)
	}
	t.Cleanup(func() { _ = em.Stop() })
	return em.MotoURL
}

func TestMotoKMS(t *testing.T) {
	ctx := context.Background()
	api := kms.New(kms.Options{
		Region:       "eu-north-1",
		BaseEndpoint: aws.String(motoURL(t)),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "test"}, nil
		}),
	})
	key, err := api.CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("fieldcrypt test " + t.Name()),
		KeySpec:     kmstypes.KeySpecSymmetricDefault,
		KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
	})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	s := fieldcrypt.New(api, aws.ToString(key.KeyMetadata.KeyId))
	ec := fieldcrypt.Context{"table": "patrons", "id": "P#42", "attribute": "hetu"}

	sealed, err := s.Seal(ctx, []byte("131052-308T"), ec)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if sealed.KeyID != aws.ToString(key.KeyMetadata.Arn) {
		t.Errorf("Sealed.KeyID = %q, want the key ARN %q", sealed.KeyID, aws.ToString(key.KeyMetadata.Arn))
	}
	got, err := s.Open(ctx, sealed, fieldcrypt.Context{"attribute": "hetu", "id": "P#42", "table": "patrons"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if string(got) != "131052-308T" {
		t.Errorf("Open = %q", got)
	}

	// Ask KMS directly whether it enforces the context, so a change in moto
	// shows in the log; Open must refuse either way.
	for _, other := range []fieldcrypt.Context{
		{"table": "patrons", "id": "P#43", "attribute": "hetu"},
		{"table": "patrons", "id": "P#42", "attribute": "pin"},
	} {
		_, kmsErr := api.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: sealed.EncryptedKey, EncryptionContext: other})
		got, err := s.Open(ctx, sealed, other)
		if !errors.Is(err, fieldcrypt.ErrMismatch) {
			t.Fatalf("Open under %v = %q, %v; want ErrMismatch", other, got, err)
		}
		var invalid *kmstypes.InvalidCiphertextException
		t.Logf("context %v: moto KMS Decrypt refused: %v; Open refused by KMS: %v", other, kmsErr != nil, errors.As(err, &invalid))
	}
}
