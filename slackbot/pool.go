package slackbot

import (
	"context"
	"fmt"
	"time"
)

// Defaults of the worker pool, used when the matching Config field is
// zero.
const (
	DefaultWorkers   = 32
	DefaultQueueSize = 4096
	// busyWorkers post the "busy" replies; each is one chat.postMessage.
	busyWorkers = 4
	// busyQueueFactor sizes the queue of busy replies against the queue of
	// answers.
	busyQueueFactor = 4
)

// task is the work an acked request asks for: run answers it; busy, when
// set, tells the user the bot is too busy, and is run instead when the
// queue of answers is full (or the answer waited too long for a worker).
type task struct {
	what string // event, command, interaction: for logs
	run  func(ctx context.Context)
	busy func(ctx context.Context)
}

// job is a task in a queue.
type job struct {
	task
	queued time.Time
}

// submitResult says what became of a submitted task.
type submitResult int

const (
	queued     submitResult = iota // it will run
	queuedBusy                     // no room: the busy reply will run
	refused                        // neither: the bot is full or shutting down
)

// startPool starts the workers once; taskMu must be held.
func (b *Bot) startPool() {
	if b.jobs != nil {
		return
	}
	b.jobs = make(chan job, b.cfg.QueueSize)
	b.busyJobs = make(chan job, busyQueueFactor*b.cfg.QueueSize)
	for range b.cfg.Workers {
		b.workers.Add(1)
		go b.work(b.jobs, false)
	}
	for range busyWorkers {
		b.workers.Add(1)
		go b.work(b.busyJobs, true)
	}
}

// submit queues t for the workers without waiting: when the queue of
// answers is full it queues t's busy reply instead, and when that is full
// too, or t has none (a slash command, whose ack says it), or the bot is
// shutting down, it refuses t. Acks never wait for it.
func (b *Bot) submit(t task) submitResult {
	b.taskMu.Lock()
	defer b.taskMu.Unlock()
	if b.draining {
		b.metrics.dropped.WithLabelValues("shutdown").Inc()
		b.log.Warn("shutting down: request dropped", "what", t.what)
		return refused
	}
	b.startPool()
	j := job{task: t, queued: b.cfg.Now()}
	b.tasks.Add(1)
	b.pending.Add(1)
	select {
	case b.jobs <- j:
		return queued
	default:
	}
	if t.busy != nil {
		select {
		case b.busyJobs <- j:
			b.metrics.busy.Inc()
			return queuedBusy
		default:
		}
	}
	b.tasks.Done()
	b.pending.Add(-1)
	if t.busy != nil {
		b.metrics.dropped.WithLabelValues("full").Inc()
		b.log.Error("every queue is full: request dropped", "what", t.what)
	}
	return refused // a task without a busy reply: the caller answers
}

// work runs the jobs of one queue until it is closed. Busy workers run
// each job's busy reply; answer workers run the job, or its busy reply when
// the job waited longer than QueueWait.
func (b *Bot) work(jobs <-chan job, busy bool) {
	defer b.workers.Done()
	for j := range jobs {
		fn := j.run
		if busy {
			fn = j.busy
		} else if j.busy != nil && b.cfg.Now().Sub(j.queued) > b.cfg.QueueWait {
			b.metrics.busy.Inc()
			fn = j.busy
		}
		b.runJob(j.what, fn)
	}
}

// runJob runs fn with a context bounded by AnswerTimeout plus the time to
// post the reply, and cancelled when the shutdown wait runs out. A job
// that only starts after that is not run, and counted as lost.
func (b *Bot) runJob(what string, fn func(ctx context.Context)) {
	defer b.tasks.Done()
	defer b.pending.Add(-1)
	select {
	case <-b.stop:
		b.lost.Add(1)
		b.metrics.dropped.WithLabelValues("shutdown").Inc()
		return
	default:
	}
	b.inflight.Add(1)
	defer b.inflight.Add(-1)
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.AnswerTimeout+replyBudget)
	defer cancel()
	go func() {
		select {
		case <-b.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic while handling a slack request", "what", what, "panic", fmt.Sprint(r))
		}
	}()
	fn(ctx)
}
