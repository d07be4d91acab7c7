package fieldcrypt

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"maps"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

const fakeARN = "arn:aws:kms:eu-north-1:123456789012:key/fake"

// fakeKMS hands out data keys and gives them back only under the encryption
// context they were made with, as KMS does; lax turns that check off to show
// that the GCM additional data refuses a wrong context by itself.
type fakeKMS struct {
	lax bool

	mu        sync.Mutex
	keys      map[string]wrapped // by ciphertext blob
	issued    [][]byte           // every plaintext key handed out, to see it wiped
	generates []kms.GenerateDataKeyInput
	decrypts  []kms.DecryptInput
}

type wrapped struct {
	key []byte
	ec  map[string]string
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.generates = append(f.generates, *in)
	if in.KeySpec != kmstypes.DataKeySpecAes256 {
		return nil, errors.New("fake kms: want KeySpec AES_256")
	}
	key, blob := make([]byte, 32), make([]byte, 48)
	rand.Read(key)
	rand.Read(blob) // an opaque handle: holds nothing of the key
	if f.keys == nil {
		f.keys = map[string]wrapped{}
	}
	f.keys[string(blob)] = wrapped{bytes.Clone(key), maps.Clone(in.EncryptionContext)}
	f.issued = append(f.issued, key)
	return &kms.GenerateDataKeyOutput{CiphertextBlob: blob, KeyId: aws.String(fakeARN), Plaintext: key}, nil
}

func (f *fakeKMS) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decrypts = append(f.decrypts, *in)
	w, ok := f.keys[string(in.CiphertextBlob)]
	if !ok || (!f.lax && !maps.Equal(w.ec, in.EncryptionContext)) {
		return nil, &kmstypes.InvalidCiphertextException{}
	}
	if aws.ToString(in.KeyId) != fakeARN {
		return nil, &kmstypes.IncorrectKeyException{}
	}
	key := bytes.Clone(w.key)
	f.issued = append(f.issued, key)
	return &kms.DecryptOutput{KeyId: aws.String(fakeARN), Plaintext: key}, nil
}

func where(table, id, attribute string) Context {
	return Context{"table": table, "id": id, "attribute": attribute}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"identity code", []byte("131052-308T")},
		{"empty", []byte{}},
		{"binary", []byte{0, 1, 2, 255, 254}},
		{"long", bytes.Repeat([]byte("ääkkönen "), 500)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeKMS{}
			s := New(f, "alias/rekisteri-fields")
			ec := where("patrons", "P#42", "hetu")
			sealed, err := s.Seal(context.Background(), tc.plaintext, ec)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if sealed.Version != 1 || sealed.KeyID != fakeARN || len(sealed.Nonce) != 12 || len(sealed.EncryptedKey) == 0 {
				t.Errorf("Sealed = v%d key %q nonce %d bytes encrypted key %d bytes", sealed.Version, sealed.KeyID, len(sealed.Nonce), len(sealed.EncryptedKey))
			}
			got, err := s.Open(context.Background(), sealed, where("patrons", "P#42", "hetu"))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("Open = %q, want %q", got, tc.plaintext)
			}

			if len(f.generates) != 1 || len(f.decrypts) != 1 {
				t.Fatalf("calls: %d GenerateDataKey, %d Decrypt; want 1 and 1", len(f.generates), len(f.decrypts))
			}
			if g := f.generates[0]; aws.ToString(g.KeyId) != "alias/rekisteri-fields" || !maps.Equal(g.EncryptionContext, ec) {
				t.Errorf("GenerateDataKey(KeyId %q, context %v), want alias/rekisteri-fields and %v", aws.ToString(g.KeyId), g.EncryptionContext, ec)
			}
			if d := f.decrypts[0]; aws.ToString(d.KeyId) != fakeARN || !maps.Equal(d.EncryptionContext, ec) || !bytes.Equal(d.CiphertextBlob, sealed.EncryptedKey) {
				t.Errorf("Decrypt(KeyId %q, context %v), want the key ARN and %v", aws.ToString(d.KeyId), d.EncryptionContext, ec)
			}
		})
	}
}

func TestDataKeysWiped(t *testing.T) {
	f := &fakeKMS{}
	s := New(f, "k")
	ec := where("patrons", "P#1", "hetu")
	sealed, err := s.Seal(context.Background(), []byte("secret"), ec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), sealed, ec); err != nil {
		t.Fatal(err)
	}
	if len(f.issued) != 2 {
		t.Fatalf("%d plaintext keys issued, want 2", len(f.issued))
	}
	for i, k := range f.issued {
		if !bytes.Equal(k, make([]byte, 32)) {
			t.Errorf("plaintext data key %d not wiped after use", i)
		}
	}
}

func TestWrongContext(t *testing.T) {
	sealedAt := where("patrons", "P#42", "hetu")
	tests := []struct {
		name string
		ec   Context
	}{
		{"other record id", where("patrons", "P#43", "hetu")},
		{"other attribute", where("patrons", "P#42", "pin")},
		{"other table", where("staff", "P#42", "hetu")},
		{"extra key", Context{"table": "patrons", "id": "P#42", "attribute": "hetu", "purpose": "x"}},
		{"missing key", Context{"table": "patrons", "id": "P#42"}},
		{"key and value swapped", Context{"patrons": "table", "id": "P#42", "attribute": "hetu"}},
	}
	for _, lax := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if lax {
				name += ", lax KMS"
			}
			t.Run(name, func(t *testing.T) {
				f := &fakeKMS{lax: lax}
				s := New(f, "k")
				sealed, err := s.Seal(context.Background(), []byte("131052-308T"), sealedAt)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Open(context.Background(), sealed, tc.ec)
				if !errors.Is(err, ErrMismatch) {
					t.Fatalf("Open under %v = %q, %v; want ErrMismatch", tc.ec, got, err)
				}
				var kmsRefused *kmstypes.InvalidCiphertextException
				if errors.As(err, &kmsRefused) == lax {
					t.Errorf("lax=%v: refused by KMS = %v, want %v (error %v)", lax, !lax, !lax, err)
				}
			})
		}
	}
}

func TestEmptyContextRefused(t *testing.T) {
	f := &fakeKMS{}
	s := New(f, "k")
	if _, err := s.Seal(context.Background(), []byte("x"), nil); err == nil {
		t.Error("Seal with no context succeeded")
	}
	if len(f.generates) != 0 {
		t.Error("Seal with no context called KMS")
	}
	sealed, err := s.Seal(context.Background(), []byte("x"), where("t", "1", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), sealed, Context{}); err == nil {
		t.Error("Open with no context succeeded")
	}
}

func TestTampered(t *testing.T) {
	ec := where("patrons", "P#42", "hetu")
	tests := []struct {
		name   string
		tamper func(*Sealed)
	}{
		{"ciphertext bit", func(v *Sealed) { v.Ciphertext[0] ^= 1 }},
		{"tag bit", func(v *Sealed) { v.Ciphertext[len(v.Ciphertext)-1] ^= 0x80 }},
		{"ciphertext truncated", func(v *Sealed) { v.Ciphertext = v.Ciphertext[:len(v.Ciphertext)-1] }},
		{"ciphertext empty", func(v *Sealed) { v.Ciphertext = nil }},
		{"nonce bit", func(v *Sealed) { v.Nonce[3] ^= 1 }},
		{"nonce short", func(v *Sealed) { v.Nonce = v.Nonce[:8] }},
		{"encrypted key bit", func(v *Sealed) { v.EncryptedKey[0] ^= 1 }},
		{"encrypted key missing", func(v *Sealed) { v.EncryptedKey = nil }},
		{"version 2", func(v *Sealed) { v.Version = 2 }},
		{"version 0", func(v *Sealed) { v.Version = 0 }},
		{"other key", func(v *Sealed) { v.KeyID = "arn:aws:kms:eu-north-1:123456789012:key/other" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeKMS{lax: true} // the local checks must hold on their own
			s := New(f, "k")
			sealed, err := s.Seal(context.Background(), []byte("131052-308T"), ec)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(&sealed)
			if got, err := s.Open(context.Background(), sealed, ec); err == nil {
				t.Errorf("Open of a tampered value = %q, want an error", got)
			}
		})
	}
}

func TestSealedHoldsNoPlaintext(t *testing.T) {
	plaintext := []byte("131052-308T")
	f := &fakeKMS{}
	s := New(f, "k")
	ec := where("patrons", "P#42", "hetu")
	a, err := s.Seal(context.Background(), plaintext, ec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal(context.Background(), plaintext, ec)
	if err != nil {
		t.Fatal(err)
	}
	key := f.keys[string(a.EncryptedKey)].key
	for _, field := range [][]byte{a.EncryptedKey, a.Nonce, a.Ciphertext, []byte(a.KeyID)} {
		for _, secret := range [][]byte{plaintext, plaintext[:6], key} {
			if bytes.Contains(field, secret) {
				t.Errorf("Sealed field %x holds secret bytes %x", field, secret)
			}
		}
	}
	if bytes.Equal(a.Ciphertext, b.Ciphertext) || bytes.Equal(a.Nonce, b.Nonce) || bytes.Equal(a.EncryptedKey, b.EncryptedKey) {
		t.Error("two seals of one value share a ciphertext, nonce or data key")
	}
}

func TestSealedStoresAsMap(t *testing.T) {
	s := New(&fakeKMS{}, "k")
	ec := where("patrons", "P#42", "hetu")
	sealed, err := s.Seal(context.Background(), []byte("131052-308T"), ec)
	if err != nil {
		t.Fatal(err)
	}
	av, err := attributevalue.Marshal(sealed)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		t.Fatalf("Sealed marshals to %T, want a map", av)
	}
	for _, k := range []string{"v", "keyId", "encryptedKey", "nonce", "ciphertext"} {
		if _, ok := m.Value[k]; !ok {
			t.Errorf("stored map lacks %q", k)
		}
	}
	var back Sealed
	if err := attributevalue.Unmarshal(av, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sealed) {
		t.Errorf("round trip through DynamoDB form changed the value")
	}
	if got, err := s.Open(context.Background(), back, ec); err != nil || string(got) != "131052-308T" {
		t.Errorf("Open after storing = %q, %v", got, err)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		a, b Context
		same bool
	}{
		{"order does not matter", Context{"a": "1", "b": "2", "c": "3"}, Context{"c": "3", "a": "1", "b": "2"}, true},
		{"separators in a value", Context{"a": "1&b=2"}, Context{"a": "1", "b": "2"}, false},
		{"equals sign in a key", Context{"a=1": "2"}, Context{"a": "1=2"}, false},
		{"key and value swapped", Context{"a": "b"}, Context{"b": "a"}, false},
		{"empty value", Context{"a": ""}, Context{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytes.Equal(tc.a.canonical(), tc.b.canonical()); got != tc.same {
				t.Errorf("canonical %q vs %q: equal = %v, want %v", tc.a.canonical(), tc.b.canonical(), got, tc.same)
			}
		})
	}
	if got, want := string(where("patrons", "P#42", "hetu").canonical()), "attribute=hetu&id=P%2342&table=patrons"; got != want {
		t.Errorf("canonical = %q, want %q", got, want)
	}
}
