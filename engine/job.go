package engine

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/hymbaserve/hymbaserve/sample"
	"github.com/hymbaserve/hymbaserve/tokenizer"
)

// job is one request inside the scheduler.
type job struct {
	id      uint64
	req     *Request
	ctx     []int // prompt, then generated tokens
	pos     int   // tokens fed to the executor
	sampler *sample.Sampler
	stopper *sample.Stopper
	stream  *tokenizer.Stream
	text    strings.Builder
	out     chan Token // buffered for every token the job can produce: never blocks the scheduler
	cancel  atomic.Bool
	res     Result
	err     error

	reserved   bool        // holds a Budget reservation
	evict      atomic.Bool // another lane asks this job's lane to preempt it
	limit      int         // text tokens the reservation covers
	replayFrom time.Time   // first failure of the current replay streak
	replays    int         // times the sequence was replayed after losing its state
}

func (s *Scheduler) newJob(req *Request) *job {
	j := &job{
		id:      s.nextID.Add(1),
		req:     req,
		ctx:     append([]int(nil), req.Prompt...),
		sampler: sample.New(req.Params),
		stopper: sample.NewStopper(s.opt.EOS, req.Stop, req.MaxTokens),
		out:     make(chan Token, req.MaxTokens+1),
	}
	if s.tok != nil {
		j.stream = s.tok.NewStream()
	}
	return j
}

// nextSeg returns the job's part of the next step: a prompt chunk within budget (with page > 0,
// one chunk ends at the prompt's last page boundary), or the next
// token of its context — the last sampled one, or while replaying after a lost state, each
// generated token again in turn, as decode steps exactly like the first time.
func (j *job) nextSeg(budget *int, page int) (Seg, bool) {
	n := len(j.req.Prompt)
	if j.pos >= n {
		return Seg{Seq: j.id, Pos: j.pos, Tokens: j.ctx[j.pos : j.pos+1]}, true
	}
	c := min(n-j.pos, *budget)
	if lb := (n - 1) / max(page, 1) * page; page > 0 && j.pos < lb && j.pos+c > lb {
		c = lb - j.pos // a chunk ends at the prompt's last page boundary: its prefix snapshot
	}
	if c <= 0 {
		return Seg{}, false
	}
	*budget -= c
	return Seg{Seq: j.id, Pos: j.pos, Tokens: j.ctx[j.pos : j.pos+c], LastPrompt: j.pos+c == n}, true
}

// advance samples the next token from logits and reports whether the job is finished; logits
// without any usable value (a corrupt forward pass) fail the job, not the scheduler.
func (j *job) advance(logits []float32) (bool, error) {
	id, err := j.sampler.TrySample(logits, j.ctx)
	if err != nil {
		return true, err
	}
	j.ctx = append(j.ctx, id)
	j.res.IDs = append(j.res.IDs, id)
	text := ""
	if j.stream != nil {
		text = j.stream.Add(id)
	}
	emit, done, reason := j.stopper.Push(id, text)
	if done && reason == sample.ReasonLength && j.stream != nil {
		emit += j.stream.Flush() // bytes of an unfinished character
	}
	j.text.WriteString(emit)
	j.out <- Token{ID: id, Text: emit}
	if done {
		j.res.Finish = reason
	}
	return done, nil
}

// finish completes the job with err (nil on success) and wakes its caller.
func (j *job) finish(err error) {
	j.err = err
	j.res.Text = j.text.String()
	j.res.PromptTokens = len(j.req.Prompt)
	j.res.CompletionTokens = len(j.res.IDs)
	close(j.out)
}
