// Package config reads converse's YAML configuration file into plain
// structs. Decoding is strict (unknown keys are errors, with their line) and
// secrets may reference environment variables as ${NAME}. No internal
// package imports config: cmd/converse copies its values into each
// component's Options.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole file.
type Config struct {
	// Listen is the address to serve on (the -addr flag wins).
	Listen string `yaml:"listen"`
	TLS    TLS    `yaml:"tls"`
	Auth   Auth   `yaml:"auth"`
	// Builtin paces the built-in model.
	Builtin Builtin `yaml:"builtin"`
}

// TLS names a certificate and key in PEM files.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Auth lists who may call the server.
type Auth struct {
	// MaxSkew is the SigV4 clock-skew window (default 5m).
	MaxSkew    time.Duration `yaml:"max_skew"`
	Principals []Principal   `yaml:"principals"`
}

// Principal is a named caller with its keys and the model IDs it may use.
type Principal struct {
	Name string `yaml:"name"`
	// Models are exact IDs or globs where * matches anything ("*" = all).
	Models     []string    `yaml:"models"`
	AccessKeys []AccessKey `yaml:"access_keys"`
	// APIKeys are Bedrock API keys (Authorization: Bearer).
	APIKeys []Secret `yaml:"api_keys"`
}

// AccessKey is an AWS-style access key pair.
type AccessKey struct {
	ID     string `yaml:"id"`
	Secret Secret `yaml:"secret"`
}

// Builtin configures the built-in model's pace.
type Builtin struct {
	TimeToFirstToken *time.Duration `yaml:"time_to_first_token"`
	TokensPerSecond  *float64       `yaml:"tokens_per_second"`
}

// Secret is a string that never prints; in the file it may be written as
// ${ENV_VAR} to read it from the environment at load time.
type Secret string

func (Secret) String() string   { return "[REDACTED]" }
func (Secret) GoString() string { return `config.Secret("[REDACTED]")` }

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// UnmarshalYAML resolves ${NAME} references.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return err
	}
	if m := envRef.FindStringSubmatch(v); m != nil {
		env, ok := os.LookupEnv(m[1])
		if !ok || env == "" {
			return fmt.Errorf("line %d: environment variable %s is not set", n.Line, m[1])
		}
		v = env
	}
	*s = Secret(v)
	return nil
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and checks configuration bytes.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (io.EOF) means all defaults.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check() error {
	var errs []error
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, errors.New("tls: set both cert and key, or neither"))
	}
	if c.Auth.MaxSkew < 0 {
		errs = append(errs, errors.New("auth.max_skew must not be negative"))
	}
	for i, p := range c.Auth.Principals {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("auth.principals[%d]: name is required", i))
		}
		if len(p.Models) == 0 {
			errs = append(errs, fmt.Errorf("auth.principals[%d] (%s): models is required (use [\"*\"] for every model)", i, p.Name))
		}
		if len(p.AccessKeys) == 0 && len(p.APIKeys) == 0 {
			errs = append(errs, fmt.Errorf("auth.principals[%d] (%s): give it access_keys or api_keys", i, p.Name))
		}
		for j, k := range p.AccessKeys {
			if k.ID == "" || k.Secret == "" {
				errs = append(errs, fmt.Errorf("auth.principals[%d].access_keys[%d]: id and secret are required", i, j))
			}
		}
	}
	if b := c.Builtin; b.TokensPerSecond != nil && *b.TokensPerSecond < 0 {
		errs = append(errs, errors.New("builtin.tokens_per_second must not be negative"))
	}
	return errors.Join(errs...)
}
