// Package redismemory keeps chat conversations in Redis, so replicas share
// them. It is separate from chat so that chat does not import go-redis.
package redismemory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/chat"
)

// Options configure a Memory.
type Options struct {
	// Client is the Redis connection; required.
	Client redis.UniversalClient
	// Prefix is prepended to conversation IDs (default "chat:memory:").
	Prefix string
	// Window is the number of messages kept per conversation (default
	// chat.DefaultWindow), trimmed as chat.Window does.
	Window int
	// TTL expires an idle conversation; 0 keeps it until cleared.
	TTL time.Duration
}

// Memory is a chat.Memory in Redis, one key per conversation.
type Memory struct {
	o Options
}

var _ chat.Memory = (*Memory)(nil)

// New returns a Memory.
func New(o Options) (*Memory, error) {
	if o.Client == nil {
		return nil, errors.New("redismemory: no Redis client")
	}
	if o.Prefix == "" {
		o.Prefix = "chat:memory:"
	}
	if o.Window <= 0 {
		o.Window = chat.DefaultWindow
	}
	return &Memory{o: o}, nil
}

func (m *Memory) key(id string) string { return m.o.Prefix + id }

// Get implements chat.Memory.
func (m *Memory) Get(ctx context.Context, id string) ([]types.Message, error) {
	data, err := m.o.Client.Get(ctx, m.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis get %s: %w", m.key(id), err)
	}
	return chat.UnmarshalMessages(data)
}

// maxTxRetries bounds optimistic retries when writers of one conversation
// race.
const maxTxRetries = 16

// Add implements chat.Memory. Concurrent writers of one conversation are
// serialised with WATCH/MULTI, so no message is lost.
func (m *Memory) Add(ctx context.Context, id string, msgs ...types.Message) error {
	key := m.key(id)
	update := func(tx *redis.Tx) error {
		var old []types.Message
		data, err := tx.Get(ctx, key).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			if old, err = chat.UnmarshalMessages(data); err != nil {
				return err
			}
		}
		out, err := chat.MarshalMessages(chat.Window(append(old, msgs...), m.o.Window))
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, out, m.o.TTL)
			return nil
		})
		return err
	}
	for range maxTxRetries {
		err := m.o.Client.Watch(ctx, update, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return fmt.Errorf("redis update %s: %w", key, err)
		}
		return nil
	}
	return fmt.Errorf("redis update %s: too much contention", key)
}

// Clear implements chat.Memory.
func (m *Memory) Clear(ctx context.Context, id string) error {
	if err := m.o.Client.Del(ctx, m.key(id)).Err(); err != nil {
		return fmt.Errorf("redis del %s: %w", m.key(id), err)
	}
	return nil
}
