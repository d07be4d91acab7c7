// Package fieldcrypt encrypts single attributes (the identity code, say) with
// KMS envelope encryption: a fresh data key from KMS per value, AES-256-GCM
// locally, and only the KMS-encrypted data key stored beside the ciphertext.
//
// Every value is bound to where it lives by an encryption context (table,
// record id, attribute). KMS refuses to release the data key under another
// context, and the same context is the GCM additional data, so a value copied
// to another record or attribute does not open even if KMS were lax.
package fieldcrypt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Version is the format Seal writes.
const Version = 1

const nonceSize = 12

// ErrMismatch means the ciphertext does not open under the given context: it
// was tampered with or belongs to another record or attribute.
var ErrMismatch = errors.New("fieldcrypt: ciphertext does not match its context")

type kmsAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Context is the encryption context: where the value is stored, for example
// {"table": ..., "id": ..., "attribute": ...}. It is not secret (KMS logs it
// in CloudTrail), so it must hold ids, never personal data.
type Context map[string]string

// canonical is the context as GCM additional data: sorted, escaped k=v pairs
// joined by '&', so no two different contexts encode alike.
func (c Context) canonical() []byte {
	v := make(url.Values, len(c))
	for k, s := range c {
		v.Set(k, s)
	}
	return []byte(v.Encode())
}

// Sealed is one encrypted value; it stores as a DynamoDB map attribute.
type Sealed struct {
	Version      int    `dynamodbav:"v"`
	KeyID        string `dynamodbav:"keyId"`
	EncryptedKey []byte `dynamodbav:"encryptedKey"`
	Nonce        []byte `dynamodbav:"nonce"`
	Ciphertext   []byte `dynamodbav:"ciphertext"`
}

// Sealer seals and opens values under one KMS key.
type Sealer struct {
	api   kmsAPI
	keyID string
}

// New returns a Sealer using the symmetric KMS key keyID (id, ARN or alias).
func New(api kmsAPI, keyID string) *Sealer {
	return &Sealer{api: api, keyID: keyID}
}

// Seal encrypts plaintext bound to ec, which must not be empty.
func (s *Sealer) Seal(ctx context.Context, plaintext []byte, ec Context) (Sealed, error) {
	if len(ec) == 0 {
		return Sealed{}, errors.New("fieldcrypt: seal: empty encryption context")
	}
	out, err := s.api.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(s.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: ec,
	})
	if err != nil {
		return Sealed{}, fmt.Errorf("fieldcrypt: generate data key: %w", err)
	}
	// Best effort: the AES key schedule and the SDK's response buffers are
	// beyond reach, but no copy of ours outlives this call.
	defer clear(out.Plaintext)
	aead, err := newGCM(out.Plaintext)
	if err != nil {
		return Sealed{}, err
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("fieldcrypt: nonce: %w", err)
	}
	keyID := aws.ToString(out.KeyId)
	if keyID == "" {
		keyID = s.keyID
	}
	return Sealed{
		Version:      Version,
		KeyID:        keyID, // the key ARN KMS reports, so Open pins the same key
		EncryptedKey: out.CiphertextBlob,
		Nonce:        nonce,
		Ciphertext:   aead.Seal(nil, nonce, plaintext, ec.canonical()),
	}, nil
}

// Open decrypts v, which must have been sealed with the same context.
func (s *Sealer) Open(ctx context.Context, v Sealed, ec Context) ([]byte, error) {
	if v.Version != Version {
		return nil, fmt.Errorf("fieldcrypt: open: unknown version %d", v.Version)
	}
	if len(ec) == 0 {
		return nil, errors.New("fieldcrypt: open: empty encryption context")
	}
	if len(v.Nonce) != nonceSize || len(v.EncryptedKey) == 0 {
		return nil, ErrMismatch
	}
	keyID := v.KeyID
	if keyID == "" {
		keyID = s.keyID
	}
	// Naming the key makes KMS refuse a data key that some other key wrapped.
	out, err := s.api.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    v.EncryptedKey,
		KeyId:             aws.String(keyID),
		EncryptionContext: ec,
	})
	if err != nil {
		var bad *types.InvalidCiphertextException
		var other *types.IncorrectKeyException
		if errors.As(err, &bad) || errors.As(err, &other) {
			return nil, fmt.Errorf("%w (kms: %w)", ErrMismatch, err)
		}
		return nil, fmt.Errorf("fieldcrypt: decrypt data key: %w", err)
	}
	defer clear(out.Plaintext)
	aead, err := newGCM(out.Plaintext)
	if err != nil {
		return nil, err
	}
	plaintext, err := aead.Open(nil, v.Nonce, v.Ciphertext, ec.canonical())
	if err != nil {
		return nil, ErrMismatch
	}
	return plaintext, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("fieldcrypt: data key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: %w", err)
	}
	return aead, nil
}
