package answer

import (
	"strings"

	"github.com/briefbot/briefbot/retrieval"
)

// paraphraseGroups are words news reports use for the same thing: a
// question term matches evidence that uses any word of its group. Each line
// is one group; irregular verb forms are groups of their own, since the
// stemmer does not join "met" and "meet".
const paraphraseGroups = `soldiers troops boots forces army military personnel
posts tweets post tweet
weapons arms weaponry
american america us
ukrainian ukraine kyiv
russian russia moscow kremlin
british britain uk
european europe
german germany berlin
french france paris
hungarian hungary budapest
swiss switzerland geneva
italian italy rome
polish poland warsaw
finnish finland
chinese china beijing
meeting summit talks discussions negotiations
send deploy dispatch sent deployed deploying deployment
war conflict invasion fighting
guarantees assurances protections protection guarantee
buy purchase bought
sanctions penalties
want wants wanted demand demands demanding
gift gifts present presents presented
swap swapped exchange exchanged
consider considering considered eye eyes eyeing eyed look looking looked weigh weighing weighed
eye eyes eyeing eyed plan plans planning planned
float floated floating suggest suggested suggesting
help helped helping assistance assist assisted aid
awkward uncomfortable embarrassing
arrange arranged arranging organise organised organising organize organized organizing set
ceasefire truce
president leader
job title role position
met meet
took take taken
went go gone
spoke speak spoken
wrote write written
told tell
gave give given
came come
sent send
held hold host hosts hosted hosting
led lead
left leave
thought think
brought bring
won win
sought seek
began begin begun
fought fight
flew fly flown
saw see seen
made make
knew know known
rose rise risen
fell fall fallen
struck strike
paid pay
sold sell
built build
chose choose chosen
kept keep
lost lose
stood stand
agreed agree
rejected reject refused refuse
`

// paraphrases maps an analysed term to the other terms of its groups.
var paraphrases = buildParaphrases(paraphraseGroups)

func buildParaphrases(groups string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(groups, "\n") {
		var terms []string
		seen := map[string]bool{}
		for _, w := range strings.Fields(line) {
			for _, t := range retrieval.Analyze(w) {
				if !seen[t] {
					seen[t] = true
					terms = append(terms, t)
				}
			}
		}
		for _, t := range terms {
			for _, u := range terms {
				if u != t && !containsString(out[t], u) {
					out[t] = append(out[t], u)
				}
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// opensWithPronoun reports a sentence whose first word is he, she, they and
// the like.
func opensWithPronoun(text string) bool {
	f := strings.Fields(text)
	if len(f) == 0 {
		return false
	}
	w := strings.ToLower(strings.Trim(f[0], "“”\"‘’'("))
	switch w {
	case "he", "she", "they", "his", "her", "their":
		return true
	}
	return false
}
