package article

// The phrase lists used to read clipped web pages, in one place. Every entry
// is in the normalised form that normalize produces: lower case, straight
// quotes, single spaces. None of them is specific to one site's article.

// chromeLines are whole lines of page chrome. A line matches when, once
// normalised and stripped of trailing punctuation, it equals an entry.
// They are removed at the start and end of a page only (see midChromeLines).
var chromeLines = setOf(
	// advertising
	"advertisement", "advertisements", "ad", "ads", "sponsored", "sponsored content",
	"paid content", "promoted", "promoted content", "skip advertisement",
	"advertisement - scroll to continue", "scroll to continue with content",
	"story continues below advertisement", "article continues below advertisement",
	"article continues below this ad", "advertisement article continues below this ad",
	// onward links
	"continue reading", "continue reading below", "continue reading the main story",
	"read more", "read more below", "read next", "read full article", "read the full article",
	"more from", "more stories", "more on this story", "more like this", "more news",
	"related", "related stories", "related articles", "related content", "related coverage",
	"related links", "related pages", "related topics", "related posts", "related news",
	"top stories", "latest stories", "latest news", "latest", "most read", "most popular",
	"most viewed", "popular", "popular now", "trending", "trending now", "recommended",
	"recommended for you", "recommended stories", "you may also like", "you might also like",
	"don't miss", "our picks", "editor's picks", "editors' picks", "topics", "tags",
	"explore more on these topics", "reuse this content", "show key events only", "live feed",
	// sharing and following
	"share", "share this", "share this article", "share this story", "share article",
	"share on facebook", "share on twitter", "share via email", "tweet", "email", "print",
	"copy link", "link copied", "save", "save article", "follow", "follow us",
	"facebook twitter whatsapp reddit email share", "facebook", "twitter", "whatsapp",
	"linkedin", "reddit", "pinterest", "instagram", "telegram", "x", "like loading",
	// comments
	"comments", "comment", "view comments", "show comments", "hide comments",
	"leave a comment", "leave a reply", "post a comment", "add a comment", "join the conversation",
	"cancel reply",
	// blog furniture
	"post navigation", "previous post", "next post", "previous article", "next article",
	"like this", "tagged", "posted in", "categories", "about the author", "post comment",
	"website", "name *", "email *", "comment *",
	// membership, apps, newsletters
	"start reading", "one app", "get the app", "download the app", "download our app",
	"sign in", "sign up", "log in", "login", "log out", "register", "subscribe", "subscribe now",
	"fourteen days free", "listen", "listen to this article", "watch", "newsletter", "newsletters",
	// site furniture
	"cookie settings", "cookie policy", "privacy policy", "privacy", "terms of use",
	"terms of service", "terms and conditions", "accept", "accept cookies", "accept all cookies",
	"reject all", "manage cookies", "manage preferences", "back to top", "skip to content",
	"skip to main content", "skip to navigation", "menu", "search", "home", "close", "loading",
	"all rights reserved", "image source", "media caption", "getty images", "(getty images)",
)

// chromePrefixes begin lines of page chrome. Like chromeLines they apply
// at the start and end of a page only.
var chromePrefixes = []string{
	"sign up to ", "sign up for ", "sign up and ", "sign up now", "sign up here",
	"sign in to ", "sign in here", "sign in or ", "log in to ", "log in or ", "login to ",
	"register to ", "register for ", "register now", "create an account", "create a free account",
	"subscribe to ", "subscribe for ", "subscribe now", "subscribe today", "subscribe and ",
	"already a member", "already a subscriber", "already subscribed", "already have an account",
	"not a member", "not a subscriber", "become a member", "become a subscriber", "join now",
	"start your free trial", "start your subscription", "try it free",
	"get all your news in one place", "100's of premium titles", "read news from ",
	"one subscription", "one app. one membership", "top stories on ", "download the ",
	"download our ", "get the app", "get our app", "fourteen days free", "14 days free", "100+ trusted",
	"your email address will not be published", "required fields are marked", "no comments yet",
	"be the first to comment", "comments are closed", "there are no comments",
	"we use cookies", "this site uses cookies", "this website uses cookies", "by continuing to use",
	"by using this site", "©", "copyright ©", "copyright (c)", "(c) 20",
	"share this ", "share on ", "share via ", "follow us on ", "follow us ", "like us on ",
	"click here to ", "click here for ", "read more:", "read more about ", "read more at ",
	"read more on ", "read the full ", "also read:", "read also:", "more from ", "related:",
	"see also:", "recommended reading", "you may also like", "you might also like",
	"skip advertisement", "advertisement -", "this article was originally published",
	"this story was originally published", "originally published on", "stay ahead of the trend",
	"save log in", "read this article for free", "get unlimited access", "unlock unlimited access",
	"enjoy unlimited access", "to continue reading", "continue reading with", "want to read more",
	"like what you're reading", "if you buy something from a ", "if you buy something through ",
	"this article contains affiliate links", "please turn on javascript", "please enable javascript",
	"explore more on these topics", "topics:", "tags:", "filed under", "tagged:", "tagged with",
	"save my name, email, and website", "you must be logged in to post", "this site uses akismet",
	"leave a comment cancel reply", "leave a reply cancel reply",
	// agency credits after the last paragraph
	"reporting by ", "additional reporting by ", "editing by ", "writing by ", "compiled by ",
}

// chromeContains are found inside short lines of page chrome.
var chromeContains = []string{
	"all rights reserved", "sign up for our newsletter", "sign up to our newsletter",
	"subscribe to our newsletter", "trusted global sources", "premium titles",
	"unlimited access", "sign in here", "click here to sign up", "straight to your inbox",
	"delivered to your inbox",
}

// formChrome are found in sign-up forms that a clipping tool ran together
// into one long line; they mark it as chrome however long it is.
var formChrome = []string{
	"please enter a valid email address", "{{ #verifyerrors }}", "by entering your email",
	"i would like to be emailed about offers", "something went wrong. please try again later",
}

// midChromeLines are whole lines that are chrome wherever they stand, even
// between two paragraphs of the article: advertisement markers and the like.
var midChromeLines = setOf(
	"advertisement", "advertisements", "skip advertisement", "advertisement - scroll to continue",
	"scroll to continue with content", "story continues below advertisement",
	"article continues below advertisement", "article continues below this ad",
	"advertisement article continues below this ad", "continue reading the main story",
	"sponsored content", "facebook twitter whatsapp reddit email share", "like loading",
	"sign up to our newsletter", "sign up for our newsletter", "subscribe to our newsletter",
	"show key events only", "reuse this content",
)

// midChromePrefixes begin lines that are chrome wherever they stand.
var midChromePrefixes = []string{
	"read more:", "also read:", "read also:", "click here to sign up", "click here to get the ",
	"sign up to our ", "sign up for our ", "subscribe to our ", "[advertisement", "(advertisement",
	"advertisement article continues", "like what you're reading", "please turn on javascript",
	"please enable javascript",
}

// listHeads introduce a live blog's list of post headlines, which only
// repeats the posts' own headings.
var listHeads = setOf("key events", "key moments", "key updates", "key points of the day")

// listTails are the last items of such a list.
var listTails = setOf("opening summary", "show key events only", "show more", "view all",
	"see all", "load more", "live feed", "live")

// outlets are news organisations a header line may name. A line names one
// when it starts with the outlet's name (with or without "The") and adds at
// most a few capitalised words, as in "The Independent UK" or "BBC News -
// World".
var outlets = []string{
	"abc", "abc news", "afp", "agence france-presse", "al jazeera", "al-monitor", "anadolu agency",
	"ap", "ap news", "arab news", "ars technica", "associated press", "axios", "bbc", "bbc news",
	"bloomberg", "breaking defense", "breitbart", "business insider", "buzzfeed news", "cbc",
	"cbc news", "cbs", "cbs news", "cbs sports", "channel 4 news", "chicago tribune", "cnbc", "cnn",
	"ctv news", "daily beast", "daily mail", "daily mirror", "daily telegraph", "defense news",
	"der spiegel", "deutsche welle", "dw", "economist", "engadget", "espn", "euractiv", "euronews",
	"evening standard", "financial times", "forbes", "foreign affairs", "foreign policy", "fortune",
	"fox news", "france 24", "global news", "globe and mail", "guardian", "haaretz", "hindustan times",
	"huffington post", "huffpost", "independent", "interfax", "irish times", "itv news",
	"japan times", "jerusalem post", "kyiv independent", "kyiv post", "le monde", "los angeles times",
	"mail online", "marketwatch", "mashable", "meduza", "middle east eye", "moscow times",
	"mother jones", "msnbc", "national post", "national review", "nbc", "nbc news", "ndtv",
	"new statesman", "new york post", "new york times", "new yorker", "newsmax", "newsweek",
	"nikkei asia", "novaya gazeta", "npr", "ny post", "nytimes", "pbs", "pbs newshour", "politico",
	"polygon", "propublica", "radio free europe", "reuters", "rferl", "rte", "semafor", "sky news",
	"sky sports", "slate", "south china morning post", "spectator", "sporting news", "stars and stripes",
	"straits times", "sydney morning herald", "talksport", "tass", "techcrunch", "telegraph",
	"the atlantic", "the athletic", "the conversation", "the hill", "the intercept", "the national",
	"the new european", "the times", "the verge", "the week", "time magazine", "times of india",
	"times of israel", "ukrainska pravda", "ukrinform", "usa today", "verge", "vice", "voa",
	"voice of america", "vox", "wall street journal", "washington examiner", "washington post",
	"washington times", "wired", "wsj", "xinhua", "yahoo finance", "yahoo news",
	"al arabiya", "asia times", "barron's", "benzinga", "city am", "daily express", "daily record",
	"daily star", "economic times", "euromaidan press", "evening standard", "express", "fast company",
	"firstpost", "gb news", "hindu", "the hindu", "i news", "irish examiner", "irish independent",
	"korea herald", "kyodo news", "lbc", "liverpool echo", "manchester evening news", "mirror",
	"mint", "msn", "pa media", "press association", "quartz", "rfe/rl", "scotsman", "scroll.in",
	"the diplomat", "the print", "the scotsman", "the sun", "the wire", "uk defence journal",
	"ukrainska pravda", "yonhap", "dawn", "express tribune", "the new daily", "crikey", "the age",
}

// outletEditions may follow an outlet's name on its line: "The Independent
// UK", "Politico Europe", "CNN Politics".
var outletEditions = setOf("uk", "us", "usa", "eu", "europe", "america", "americas", "australia",
	"au", "india", "asia", "africa", "canada", "ireland", "scotland", "wales", "international",
	"global", "world", "online", "news", "live", "politics", "business", "sport", "sports", "tech",
	"technology", "opinion", "magazine", "weekly", "daily", "sunday", "edition", "com", ".com")

// metaKeys are the keys of "Key: value" header lines and the field each
// one fills.
var metaKeys = map[string]string{
	"title": "title", "headline": "title",
	"author": "author", "authors": "author", "byline": "author", "writer": "author", "written by": "author",
	"source": "outlet", "outlet": "outlet", "publisher": "outlet", "publication": "outlet", "site": "outlet",
	"date": "date", "published": "date", "published on": "date", "published at": "date",
	"publication date": "date", "posted": "date", "posted on": "date", "first published": "date",
	"updated": "updated", "last updated": "updated", "updated on": "updated", "modified": "updated",
	"date published": "date", "pubdate": "date", "updated at": "updated", "modified at": "updated",
	"url": "url", "link": "url", "source url": "url", "canonical url": "url", "permalink": "url",
	"category": "category", "section": "category",
}

// bylinePrefixes introduce an author's name.
var bylinePrefixes = []string{"by ", "by: ", "written by ", "words by ", "story by ", "reporting by "}

// datePrefixWords may surround a date on a date line ("Published on ...
// at ...", "Last updated: ...").
var datePrefixWords = setOf("published", "updated", "posted", "last", "first", "modified",
	"originally", "on", "at", "date", "dated", "time", "am", "pm", "a", "p", "m")

// updatedWords mark a date as an update rather than the publication date.
var updatedWords = setOf("updated", "modified")

// nameParticles may appear in lower case inside a person's name.
var nameParticles = setOf("de", "da", "del", "della", "der", "den", "di", "du", "dos", "das",
	"van", "von", "le", "la", "bin", "ibn", "al", "el", "ter", "ten", "y")

// staffWords mark a byline that names a desk rather than a person.
var staffWords = setOf("staff", "agencies", "correspondent", "correspondents", "editor", "editors",
	"reporter", "reporters", "newsroom", "desk")

// notNameWords rule a capitalised line out as a person's name: headline,
// section and page words that names rarely contain.
var notNameWords = setOf(
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december", "today", "yesterday", "tomorrow", "week", "month", "year",
	"news", "live", "update", "updates", "breaking", "opinion", "analysis", "comment", "comments",
	"editorial", "world", "politics", "business", "sport", "sports", "culture", "lifestyle",
	"technology", "science", "health", "summary", "outlook", "related", "stories", "story",
	"picks", "share", "home", "menu", "search", "advertisement", "key", "events", "report",
	"reports", "the", "of", "in", "on", "for", "to", "with", "at", "by", "from", "as", "is", "are",
	"was", "were", "be", "has", "have", "says", "said", "say", "will", "can", "could", "should",
	"would", "may", "might", "must", "after", "before", "over", "under", "amid", "against",
	"between", "into", "out", "up", "down", "off", "all", "no", "not", "new", "first", "last",
	"what", "why", "how", "who", "when", "where", "this", "that", "these", "those", "it", "its",
	"correspondent", "editor", "reporter", "writer", "columnist", "contributor", "staff",
	"political", "chief", "senior", "deputy", "bureau", "agency", "press", "wire", "desk", "team",
	"guest", "daily", "weekly", "magazine", "journal", "review", "online", "media", "network",
	"radio", "tv", "television", "channel", "video", "photo", "photos", "image", "images",
	"president", "minister", "secretary", "house", "government", "leaders", "leader", "summit",
	"meeting", "talks", "war", "peace", "deal", "security", "top", "latest", "more", "most",
	"read", "popular", "trending",
	"recommended", "about", "contact", "privacy", "terms", "policy", "cookies", "subscribe",
	"sign", "login", "register", "follow", "newsletter", "app", "download", "free", "premium",
	"members", "member", "leave", "reply", "introduction", "background", "conclusion",
	"overview", "timeline", "explainer", "photograph", "getty", "pictures", "uk", "us", "eu",
	"un", "nato", "united", "states", "kingdom",
)

// timeZones maps time-zone abbreviations to their offsets from UTC in
// minutes. US zones without S/D ("ET") are resolved by the date.
var timeZones = map[string]int{
	"utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "west": 60, "cet": 60, "cest": 120,
	"eet": 120, "eest": 180, "msk": 180, "est": -300, "edt": -240, "cst": -360, "cdt": -300,
	"mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "aest": 600, "aedt": 660, "jst": 540,
	"kst": 540, "hkt": 480, "sgt": 480,
}

// usZones are the US zone names whose offset depends on daylight saving.
var usZones = map[string]int{"et": -300, "ct": -360, "mt": -420, "pt": -480}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
