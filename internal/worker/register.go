package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// ActionRegister names worker registrations in the audit trail.
const ActionRegister = "worker.register"

// MaxConcurrency bounds how many invocations one worker may hold at once.
const MaxConcurrency = 256

// checkInfo holds what a worker says about itself to the rules every
// stored name follows.
func checkInfo(w *wire.WorkerInfo) error {
	var errs []problem.FieldError
	var err error
	if w.Name, err = naming.Optional(naming.Name)(w.Name); err != nil {
		errs = append(errs, problem.FieldError{Field: "worker.name", Message: err.Error()})
	}
	if w.SDK, err = naming.Optional(naming.Name)(w.SDK); err != nil {
		errs = append(errs, problem.FieldError{Field: "worker.sdk", Message: err.Error()})
	}
	if w.Concurrency > MaxConcurrency {
		errs = append(errs, problem.FieldError{Field: "worker.concurrency", Message: fmt.Sprintf("is %d; a worker may take at most %d invocations at once (run more workers for more)", w.Concurrency, MaxConcurrency)})
	}
	if len(errs) > 0 {
		return problem.Invalid("the worker's description is not valid", errs)
	}
	return nil
}

// Register creates or updates the code integration a worker brings and
// records the worker. A new version is added only when the definition
// (names, auth, base URL, actions and their schemas) changed. Registering
// needs the build permission; registering for an integration that exists
// needs the right to use it, as any other use does.
func (s *Service) Register(ctx context.Context, p access.Principal, req wire.RegisterRequest) (*wire.RegisterResponse, error) {
	if err := p.May(access.Build); err != nil {
		return nil, err
	}
	if err := checkInfo(&req.Worker); err != nil {
		return nil, err
	}
	def, err := Definition(req.Integration)
	if err != nil {
		return nil, err
	}
	stored, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	manifest, hash, err := canonical(req.Integration)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(def.Actions))
	for i, a := range def.Actions {
		keys[i] = a.Key
	}
	reg := store.CodeRegistration{
		OrgID: p.Org.ID, Slug: connector.Slug(def.Name), Name: def.Name, Definition: stored,
		ManifestHash: hash, Manifest: manifest, By: p.User.ID,
		CheckNew: func(n int) error {
			if err := plan.CheckIntegrations(p.Org.Plan, n); err != nil {
				return &problem.Error{Status: http.StatusForbidden, Title: "Plan limit reached", Detail: err.Error()}
			}
			return nil
		},
		CheckExisting: func(in store.Integration) error {
			ok, err := s.Rules.MayUse(ctx, p, in)
			if err != nil {
				return err
			}
			if !ok {
				return problem.Forbidden("an integration named %q exists in this organization and is restricted to teams you are not in; a worker may serve it only for its teams' members", def.Name)
			}
			return nil
		},
	}
	var in store.Integration
	var changed bool
	var w store.Worker
	register := func(tx *store.Tx) error {
		var err error
		if in, changed, err = tx.RegisterCode(ctx, reg); err != nil {
			return err
		}
		conc := max(req.Worker.Concurrency, 1)
		w, err = tx.CreateWorker(ctx, store.Worker{
			OrgID: p.Org.ID, IntegrationID: in.ID, Name: req.Worker.Name, SDK: req.Worker.SDK, Version: in.LatestVersion,
			Actions: keys, Concurrency: conc, KeyID: p.KeyID,
		})
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionRegister, "integration", in.ID, map[string]any{
			"worker": w.ID, "version": in.LatestVersion, "changed": changed,
		}))
		return err
	}
	err = s.Store.InTx(ctx, register)
	if errors.Is(err, store.ErrConflict) {
		// Workers starting together through several nodes race to create
		// the integration; the loser's second try finds the winner's.
		err = s.Store.InTx(ctx, register)
	}
	if pe, ok := problem.As(err); ok {
		return nil, pe
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, problem.Conflict("an integration named %q already exists in this organization and is defined in JSON; give the SDK integration another Name", def.Name)
	}
	if err != nil {
		return nil, err
	}
	s.Logger.InfoContext(ctx, "worker registered", "worker", w.ID, "integration", in.ID, "version", in.LatestVersion, "changed", changed, "name", w.Name)
	return &wire.RegisterResponse{
		WorkerID: w.ID, IntegrationID: in.ID, Slug: in.Slug, Version: in.LatestVersion, Changed: changed,
		LeaseMS: int(s.Lease().Milliseconds()), HeartbeatMS: int(s.heartbeat().Milliseconds()),
	}, nil
}

// Definition turns a worker's integration into the connector form every
// other surface reads (the API view, MCP tools, param checks): each action
// becomes a POST action whose body parameters are the top-level properties
// of its input schema, so params are validated on the server before a
// worker sees them.
func Definition(in wire.Integration) (*connector.Definition, error) {
	var auth connector.Auth
	if b, err := json.Marshal(in.Auth); err == nil {
		_ = json.Unmarshal(b, &auth)
	}
	def := connector.Definition{
		Name: in.Name, Description: in.Description, BaseURL: in.BaseURL, Auth: auth, TimeoutSeconds: in.TimeoutSeconds,
	}
	var fields []problem.FieldError
	for i, a := range in.Actions {
		params, err := paramsFromSchema(a.InputSchema)
		if err != nil {
			fields = append(fields, problem.FieldError{Field: fmt.Sprintf("actions[%d].input_schema", i), Message: err.Error()})
			continue
		}
		def.Actions = append(def.Actions, connector.Action{
			Key: a.Key, Name: a.Name, Description: a.Description, Method: http.MethodPost, Parameters: params,
		})
	}
	if len(fields) > 0 {
		return nil, problem.Invalid("the integration's action inputs are not usable: "+fields[0].Message, fields)
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	parsed, err := connector.Parse(raw)
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		fields := make([]problem.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			fields = append(fields, problem.FieldError{Field: fe.Field, Message: fe.Message})
		}
		return nil, problem.Invalid("the integration definition is not valid: "+ve.Error(), fields)
	}
	if err != nil {
		return nil, problem.BadRequest("the integration definition is not valid: %v", err)
	}
	return parsed, nil
}

// paramsFromSchema splits an object schema into one body parameter per
// property, in the schema's property order.
func paramsFromSchema(raw json.RawMessage) (connector.Params, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var root struct {
		Type       any             `json:"type"`
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("not a JSON Schema: %v", err)
	}
	if root.Type != "object" {
		return nil, fmt.Errorf("the input must be an object (a Go struct), got type %v", root.Type)
	}
	names, err := orderedKeys(root.Properties)
	if err != nil {
		return nil, err
	}
	var props map[string]map[string]any
	if len(names) > 0 {
		if err := json.Unmarshal(root.Properties, &props); err != nil {
			return nil, fmt.Errorf("properties: %v", err)
		}
	}
	required := map[string]bool{}
	for _, r := range root.Required {
		required[r] = true
	}
	out := make(connector.Params, 0, len(names))
	for _, name := range names {
		schema := props[name]
		if schema == nil {
			schema = map[string]any{}
		}
		prm := connector.Param{Name: name, In: connector.InBody, Required: required[name]}
		if d, ok := schema["description"].(string); ok {
			prm.Description = d
			delete(schema, "description")
		}
		if d, ok := schema["default"]; ok {
			prm.Default = d
			delete(schema, "default")
		}
		prm.Schema = schema
		out = append(out, prm)
	}
	return out, nil
}

// orderedKeys lists an object's keys in document order.
func orderedKeys(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("properties must be an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// canonical encodes the integration compactly and hashes it; equal
// definitions give equal hashes whatever the worker's formatting.
func canonical(in wire.Integration) ([]byte, string, error) {
	for i := range in.Actions {
		for _, s := range []*json.RawMessage{&in.Actions[i].InputSchema, &in.Actions[i].OutputSchema} {
			if len(*s) == 0 {
				continue
			}
			var b bytes.Buffer
			if err := json.Compact(&b, *s); err != nil {
				return nil, "", problem.BadRequest("actions[%d]: a schema is not valid JSON: %v", i, err)
			}
			*s = b.Bytes()
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}
