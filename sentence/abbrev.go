package sentence

// The word lists the splitter uses, in one place. Keys are lower case and
// without the final period ("u.s" for "U.S.").

// titleAbbrevs precede a name and never end a sentence: "Mr. Smith".
var titleAbbrevs = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "mx": true, "dr": true, "prof": true,
	"sen": true, "rep": true, "gov": true, "gen": true, "lt": true, "col": true,
	"capt": true, "cpt": true, "sgt": true, "cpl": true, "pvt": true, "adm": true,
	"maj": true, "cmdr": true, "cdr": true, "rev": true, "hon": true, "pres": true,
	"supt": true, "insp": true, "det": true, "st": true, "fr": true, "mt": true,
	"ft": true, "messrs": true, "mme": true, "mlle": true, "atty": true, "amb": true,
	"brig": true, "lieut": true, "sec": true, "rt": true,
}

// innerAbbrevs are followed by more of the same sentence: "e.g. the".
var innerAbbrevs = map[string]bool{
	"e.g": true, "i.e": true, "vs": true, "v": true, "cf": true, "viz": true,
	"approx": true, "ca": true, "incl": true, "esp": true, "resp": true,
}

// numberAbbrevs do not end a sentence when a number follows: "No. 10",
// "Aug. 19".
var numberAbbrevs = map[string]bool{
	"no": true, "nos": true, "vol": true, "vols": true, "p": true, "pp": true,
	"fig": true, "figs": true, "art": true, "ch": true, "para": true, "op": true,
	"tel": true, "ext": true, "jan": true, "feb": true, "mar": true, "apr": true,
	"jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true,
	"nov": true, "dec": true, "ed": true, "eds": true, "ver": true,
}

// endAbbrevs may end a sentence ("...of Apple Inc. The company") but mostly
// do not ("Apple Inc. CEO"): they end one only before a word that typically
// starts a sentence. Dotted acronyms ("U.S.", "a.m.") and initials are
// treated the same way.
var endAbbrevs = map[string]bool{
	"inc": true, "corp": true, "ltd": true, "co": true, "jr": true, "sr": true,
	"llc": true, "plc": true, "bros": true, "etc": true, "al": true, "ave": true,
	"blvd": true, "rd": true, "dept": true, "est": true, "govt": true, "univ": true,
	"assn": true, "intl": true, "min": true, "max": true, "hr": true, "hrs": true,
	"mins": true, "yr": true, "yrs": true, "bn": true, "mn": true, "m": true,
}

// starterWords commonly begin a sentence; after an abbreviation they signal
// that the abbreviation ended the sentence before.
var starterWords = map[string]bool{
	"a": true, "after": true, "all": true, "also": true, "although": true, "an": true,
	"and": true, "another": true, "as": true, "asked": true, "at": true, "before": true,
	"both": true, "but": true, "by": true, "despite": true, "during": true, "each": true,
	"earlier": true, "for": true, "from": true, "he": true, "her": true, "his": true,
	"how": true, "however": true, "i": true, "if": true, "in": true, "it": true,
	"its": true, "last": true, "later": true, "many": true, "meanwhile": true,
	"more": true, "most": true, "my": true, "next": true, "no": true, "now": true,
	"officials": true, "on": true, "one": true, "or": true, "our": true, "she": true,
	"since": true, "so": true, "some": true, "still": true, "such": true, "that": true,
	"the": true, "their": true, "then": true, "there": true, "these": true, "they": true,
	"this": true, "those": true, "though": true, "to": true, "today": true, "under": true,
	"we": true, "what": true, "when": true, "while": true, "who": true, "why": true,
	"with": true, "yesterday": true, "yet": true, "you": true, "your": true,
}
