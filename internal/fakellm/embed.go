package fakellm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"
)

type embedRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	EncodingFormat string          `json:"encoding_format,omitempty"`
}

type embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type embedResponse struct {
	Object string      `json:"object"`
	Data   []embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  usage       `json:"usage"`
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req embedRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), "invalid_request_error")
		return
	}
	var inputs []string
	if err := json.Unmarshal(req.Input, &inputs); err != nil {
		var one string
		if err := json.Unmarshal(req.Input, &one); err != nil {
			writeError(w, http.StatusBadRequest, "input must be a string or an array of strings", "invalid_request_error")
			return
		}
		inputs = []string{one}
	}
	s.mu.Lock()
	s.embedCalls++
	s.embedInputs = append(s.embedInputs, inputs...)
	sc := s.embedScript
	s.mu.Unlock()

	if sc.Hang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
			panic(http.ErrAbortHandler)
		}
		return
	}
	if sc.FailStatus != 0 {
		msg := sc.FailMessage
		if msg == "" {
			msg = fmt.Sprintf("fake upstream error %d", sc.FailStatus)
		}
		writeError(w, sc.FailStatus, msg, errorType(sc.FailStatus))
		return
	}
	model := req.Model
	if model == "" {
		model = s.model
	}
	resp := embedResponse{Object: "list", Model: model, Data: []embedding{}}
	for i, in := range inputs {
		v := Vector(in, s.dims)
		if sc.Ragged && i == len(inputs)-1 {
			v = v[:len(v)-1]
		}
		var e any = v
		if req.EncodingFormat == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			e = base64.StdEncoding.EncodeToString(b)
		}
		resp.Data = append(resp.Data, embedding{Object: "embedding", Index: i, Embedding: e})
		resp.Usage.PromptTokens += len(strings.Fields(in))
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	if sc.Drop > 0 {
		resp.Data = resp.Data[:max(0, len(resp.Data)-sc.Drop)]
	}
	if sc.Reverse {
		for i, j := 0, len(resp.Data)-1; i < j; i, j = i+1, j-1 {
			resp.Data[i], resp.Data[j] = resp.Data[j], resp.Data[i]
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// Vector is the deterministic embedding the server returns for text: its
// lower-cased words hashed into dims signed buckets, normalised to unit
// length, so texts sharing words are similar. Text without words maps to
// the first unit vector (never a zero vector, which has no direction).
func Vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for _, w := range words {
		h := fnv.New64a()
		h.Write([]byte(w))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dims)] += sign
	}
	var norm float64
	for _, f := range v {
		norm += float64(f) * float64(f)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	n := float32(math.Sqrt(norm))
	for i := range v {
		v[i] /= n
	}
	return v
}
