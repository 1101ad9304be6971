package slackbot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// DroppedQuotesCounter is an optional extension of Service: a service that
// counts the quotes its verifier dropped (quotes that were not verbatim in
// the articles) implements it, and the bot exports the running total as
// briefbot_quotes_dropped_total. cmd/bot's adapter should implement it.
type DroppedQuotesCounter interface {
	DroppedQuotes() int64
}

// ModelErrorCounter is an optional extension of Service: a service that
// counts failed model calls implements it, and the bot exports the total as
// briefbot_model_errors_total. Without it the bot counts answers whose notes
// say the model was unavailable.
type ModelErrorCounter interface {
	ModelErrors() int64
}

// Label values of the ingestion and posting metrics.
const (
	ingestURL   = "url"
	ingestFile  = "file"
	resultOK    = "ok"
	resultError = "error"
)

// metrics are the bot's Prometheus metrics.
type metrics struct {
	questions       *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	serviceErrors   *prometheus.CounterVec
	slackErrors     *prometheus.CounterVec
	slackRetries    prometheus.Counter
	slackRetried    *prometheus.CounterVec
	undelivered     *prometheus.CounterVec
	busy            prometheus.Counter
	dropped         *prometheus.CounterVec
	duplicates      *prometheus.CounterVec
	userLimited     prometheus.Counter
	feedback        *prometheus.CounterVec
	feedbackReasons *prometheus.CounterVec
	ingested        *prometheus.CounterVec
	briefingsPosted *prometheus.CounterVec
	modelErrorNotes prometheus.Counter // nil when the service counts them
}

func newMetrics(reg prometheus.Registerer, svc Service) (*metrics, error) {
	m := &metrics{
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_questions_total",
			Help: "Questions received from Slack, by surface (mention, thread, dm, assistant, command).",
		}, []string{"surface"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "briefbot_answer_duration_seconds",
			Help:    "Time to compute an answer, by kind (answer, source, briefing).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"kind"}),
		serviceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_answer_errors_total",
			Help: "Answers that failed or timed out, by kind (answer, source, briefing).",
		}, []string{"kind"}),
		slackErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_slack_api_errors_total",
			Help: "Slack Web API calls that failed, by method.",
		}, []string{"method"}),
		slackRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "briefbot_slack_rate_limited_total",
			Help: "Slack Web API calls answered 429 and retried after Retry-After.",
		}),
		slackRetried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_slack_retries_total",
			Help: "Slack Web API calls sent again, by reason (connect: Slack could not be reached; server_error: Slack answered 5xx).",
		}, []string{"reason"}),
		undelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_slack_undelivered_total",
			Help: "Replies Slack never got after the retries, by method (chat.postMessage, response_url).",
		}, []string{"method"}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "briefbot_slack_busy_total",
			Help: "Requests answered with a busy reply because the queue of answers was full.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_slack_dropped_total",
			Help: "Acked requests neither answered nor told the bot is busy, by reason (full: every queue was full; shutdown).",
		}, []string{"reason"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_slack_duplicates_total",
			Help: "Requests not handled again because they already were: Slack retries and replays, by kind (event, message, command, interaction).",
		}, []string{"kind"}),
		userLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "briefbot_user_rate_limited_total",
			Help: "Questions refused because the user asked too fast.",
		}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_feedback_total",
			Help: "Feedback clicks recorded, by verdict (helpful, not_helpful).",
		}, []string{"verdict"}),
		feedbackReasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_feedback_reasons_total",
			Help: "Reasons given in the \"what was wrong?\" form, by reason (wrong_answer, missing_source, should_have_declined, other).",
		}, []string{"reason"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_ingested_total",
			Help: "Links and files shared in direct messages to be added as articles, by kind (url, file) and result (ok, error).",
		}, []string{"kind", "result"}),
		briefingsPosted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_briefings_posted_total",
			Help: "Briefings posted to a channel with PostBriefing, by result (ok, error).",
		}, []string{"result"}),
	}
	for _, kind := range []string{ingestURL, ingestFile} {
		for _, result := range []string{resultOK, resultError} {
			m.ingested.WithLabelValues(kind, result)
		}
	}
	for _, result := range []string{resultOK, resultError} {
		m.briefingsPosted.WithLabelValues(result)
	}
	for _, reason := range []string{"full", "shutdown"} {
		m.dropped.WithLabelValues(reason)
	}
	cs := []prometheus.Collector{m.questions, m.latency, m.serviceErrors, m.slackErrors, m.slackRetries, m.userLimited,
		m.slackRetried, m.undelivered, m.busy, m.dropped, m.duplicates, m.feedback, m.feedbackReasons, m.ingested, m.briefingsPosted}
	if d, ok := svc.(DroppedQuotesCounter); ok {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "briefbot_quotes_dropped_total",
			Help: "Quotes dropped because they were not verbatim in the articles.",
		}, func() float64 { return float64(d.DroppedQuotes()) }))
	}
	modelOpts := prometheus.CounterOpts{
		Name: "briefbot_model_errors_total",
		Help: "Model calls that failed (the answer fell back to extraction).",
	}
	if me, ok := svc.(ModelErrorCounter); ok {
		cs = append(cs, prometheus.NewCounterFunc(modelOpts, func() float64 { return float64(me.ModelErrors()) }))
	} else {
		m.modelErrorNotes = prometheus.NewCounter(modelOpts)
		cs = append(cs, m.modelErrorNotes)
	}
	var errs []error
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

// observeModelNotes counts an answer whose notes say the model was
// unavailable, when the service does not count model errors itself.
func (m *metrics) observeModelNotes(notes []string) {
	if m.modelErrorNotes != nil && modelUnavailable(notes) {
		m.modelErrorNotes.Inc()
	}
}

// modelUnavailable reports whether an answer's notes say the model could
// not be used. The notes are the composer's sentences for people, so this
// is a heuristic; a service should implement ModelErrorCounter instead.
func modelUnavailable(notes []string) bool {
	for _, n := range notes {
		l := strings.ToLower(n)
		if strings.Contains(l, "model") && (strings.Contains(l, "unavailable") || strings.Contains(l, "failed") ||
			strings.Contains(l, "error") || strings.Contains(l, "timed out") || strings.Contains(l, "could not")) {
			return true
		}
	}
	return false
}
