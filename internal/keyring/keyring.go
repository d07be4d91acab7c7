// Package keyring holds the system's secret keys: the key that signs links in
// mail and the key that turns e-mail addresses into subject keys. They are
// read from Secrets Manager on first use, not at start, so a cold start makes
// no network call.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Keys are the secret keys, raw bytes.
type Keys struct {
	Token   []byte
	Subject []byte
}

type secretReader interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Ring reads the keys once and keeps them for the life of the process.
type Ring struct {
	api                secretReader
	tokenID, subjectID string
	mu                 sync.Mutex
	keys               *Keys
}

// New returns a Ring reading the two secrets by id or ARN; an empty id
// leaves that key out.
func New(api secretReader, tokenSecretID, subjectSecretID string) *Ring {
	return &Ring{api: api, tokenID: tokenSecretID, subjectID: subjectSecretID}
}

// Static returns a Ring that already holds keys (unit tests).
func Static(k Keys) *Ring { return &Ring{keys: &k} }

// Keys returns the keys, reading them on the first call; a failed read is
// tried again on the next call rather than remembered.
func (r *Ring) Keys(ctx context.Context) (Keys, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil {
		return *r.keys, nil
	}
	var k Keys
	for _, s := range []struct {
		id  string
		dst *[]byte
	}{{r.tokenID, &k.Token}, {r.subjectID, &k.Subject}} {
		if s.id == "" {
			continue // a function holds only the keys it needs
		}
		key, err := r.read(ctx, s.id)
		if err != nil {
			return Keys{}, err
		}
		*s.dst = key
	}
	r.keys = &k
	return *r.keys, nil
}

func (r *Ring) read(ctx context.Context, id string) ([]byte, error) {
	out, err := r.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if out.SecretString == nil || len(*out.SecretString) < 32 {
		return nil, errors.New("read secret: key shorter than 32 bytes")
	}
	return []byte(*out.SecretString), nil
}
