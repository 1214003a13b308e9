/* parse/date: dates as feeds and pages write them (ISO 8601 / W3CDTF and
 * RFC 822 with the usual breakage) into UTC seconds. */
#include "parse/parse_int.h"
#include "core/text.h"
#include "core/time.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int num(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* ISO 8601 and W3CDTF: YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, then optional
 * [T ]HH:MM[:SS[.frac]] or HHMMSS, then Z, +HH, +HH:MM, +HHMM or nothing (UTC).
 * Hand-written because neither libc nor curl reads these forms. */
static int parse_iso(const char *s, time_t *out)
{
	const char *p = s;
	int y, mo = 1, d = 1, h = 0, mi = 0, se = 0, off = 0;
	struct tm tm;

	while (isspace((unsigned char)*p))
		p++;
	if (num(&p, 4, &y))
		return -1;
	if (*p == '-') {
		p++;
		if (num(&p, 2, &mo))
			return -1;
		if (*p == '-') {
			p++;
			if (num(&p, 2, &d))
				return -1;
		}
	} else if (isdigit((unsigned char)*p)) {
		if (num(&p, 2, &mo) || num(&p, 2, &d))
			return -1;
	} else if (*p && !isspace((unsigned char)*p)) {
		return -1;
	}
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (num(&p, 2, &h))
			return -1;
		if (*p == ':')
			p++;
		if (num(&p, 2, &mi))
			return -1;
		if (*p == ':' || isdigit((unsigned char)*p)) {
			if (*p == ':')
				p++;
			if (num(&p, 2, &se))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;
			p++;
			if (num(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && num(&p, 2, &om))
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3)) {
			p += 3;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 61)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se > 59 ? 59 : se;
	*out = pm_timegm(&tm) - off;
	return 0;
}

/* The form nearly every RSS feed writes, "Wed, 18 Nov 2026 21:16:00 +0000"
 * or "... GMT", read directly: curl_getdate's general scanner costs ten
 * times as much. Anything else, or out of the plain ranges, takes the
 * general path; test_parse holds the two to the same answers. */
static int parse_rfc822_common(const char *s, time_t *out)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int d, y, h, mi, se, mo = -1, off, known = 0;
	struct tm tm;

	for (int i = 0; i < 7; i++)
		known |= !strncmp(p, days + 3 * i, 3);
	if (!known || p[3] != ',' || p[4] != ' ')
		return -1;
	p += 5;
	if (num(&p, 2, &d) || *p++ != ' ')
		return -1;
	for (int i = 0; i < 12; i++)
		if (!strncmp(p, months + 3 * i, 3))
			mo = i;
	if (mo < 0 || p[3] != ' ')
		return -1;
	p += 4;
	if (num(&p, 4, &y) || *p++ != ' ' || num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi) ||
	    *p++ != ':' || num(&p, 2, &se) || *p++ != ' ')
		return -1;
	if (!strcmp(p, "GMT")) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 5) {
		const char *z = p + 1;
		int oh, om;
		if (num(&z, 2, &oh) || num(&z, 2, &om) || oh > 14 || om > 59)
			return -1;
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (y < 1971 || y > 2999 || d < 1 || d > mdays[mo] ||
	    (mo == 1 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = pm_timegm(&tm) - off;
	return 0;
}

/* ---- dates in other languages ------------------------------------------ */

/* Month, day and filler words of the languages the coalition's press
 * writes in (French, Spanish, Portuguese, German, Italian, Dutch, Russian,
 * Arabic, Polish, Turkish, Indonesian; English full names too, which curl
 * does not take), in the folded form pm_text_tokenize gives them (lower
 * case, marks stripped, Arabic letter forms folded), sorted by strcmp for
 * bsearch; test_parse checks both. kind: 1-12 a month, 0 a day name,
 * -1 a word to drop ("de", "am", "г"). Written here because neither libc
 * (strptime reads one locale at a time, and none is installed) nor curl
 * reads them. "mar" is Tuesday (French, Spanish, Italian) or March: a
 * month when no other word is one. */
static const struct date_word {
	const char *w;
	int kind;
} date_words[] = {
	{ "a", -1 }, { "abril", 4 }, { "ago", 8 }, { "agosto", 8 }, { "agu", 8 },
	{ "agustos", 8 }, { "agustus", 8 }, { "alle", -1 }, { "am", -1 }, { "aout", 8 },
	{ "apr", 4 }, { "april", 4 }, { "aprile", 4 }, { "ara", 12 }, { "aralik", 12 },
	{ "aralık", 12 }, { "as", -1 }, { "at", -1 }, { "aug", 8 }, { "august", 8 },
	{ "augustus", 8 }, { "avr", 4 }, { "avril", 4 }, { "carsamba", 0 }, { "cuma", 0 },
	{ "cumartesi", 0 }, { "cze", 6 }, { "czerwca", 6 }, { "czerwiec", 6 }, { "czw", 0 },
	{ "czwartek", 0 }, { "da", -1 }, { "das", -1 }, { "de", -1 }, { "dec", 12 },
	{ "december", 12 }, { "decembre", 12 }, { "del", -1 }, { "den", -1 }, { "der", -1 },
	{ "dez", 12 }, { "dezember", 12 }, { "dezembro", 12 }, { "di", 0 }, { "dic", 12 },
	{ "dicembre", 12 }, { "diciembre", 12 }, { "dienstag", 0 }, { "dim", 0 },
	{ "dimanche", 0 }, { "dinsdag", 0 }, { "do", 0 }, { "dom", 0 }, { "domenica", 0 },
	{ "domingo", 0 }, { "donderdag", 0 }, { "donnerstag", 0 }, { "dos", -1 },
	{ "eki", 10 }, { "ekim", 10 }, { "el", -1 }, { "ene", 1 }, { "enero", 1 },
	{ "eyl", 9 }, { "eylul", 9 }, { "feb", 2 }, { "febbraio", 2 }, { "febr", 2 },
	{ "febrero", 2 }, { "februar", 2 }, { "februari", 2 }, { "february", 2 },
	{ "feira", -1 }, { "fev", 2 }, { "fevereiro", 2 }, { "fevr", 2 }, { "fevrier", 2 },
	{ "fr", 0 }, { "freitag", 0 }, { "fri", 0 }, { "friday", 0 }, { "gen", 1 },
	{ "gennaio", 1 }, { "gio", 0 }, { "giovedi", 0 }, { "giu", 6 }, { "giugno", 6 },
	{ "godz", -1 }, { "gru", 12 }, { "grudnia", 12 }, { "grudzien", 12 }, { "h", -1 },
	{ "haz", 6 }, { "haziran", 6 }, { "horas", -1 }, { "hrs", -1 }, { "hs", -1 },
	{ "jan", 1 }, { "janeiro", 1 }, { "janner", 1 }, { "januar", 1 }, { "januari", 1 },
	{ "january", 1 }, { "janv", 1 }, { "janvier", 1 }, { "jeu", 0 }, { "jeudi", 0 },
	{ "jue", 0 }, { "jueves", 0 }, { "juil", 7 }, { "juillet", 7 }, { "juin", 6 },
	{ "jul", 7 }, { "julho", 7 }, { "juli", 7 }, { "julio", 7 }, { "july", 7 },
	{ "jumat", 0 }, { "jun", 6 }, { "june", 6 }, { "junho", 6 }, { "juni", 6 },
	{ "junio", 6 }, { "kamis", 0 }, { "kas", 11 }, { "kasim", 11 }, { "kasım", 11 },
	{ "kwi", 4 }, { "kwiecien", 4 }, { "kwietnia", 4 }, { "la", -1 }, { "last", -1 },
	{ "le", -1 },
	{ "lip", 7 }, { "lipca", 7 }, { "lipiec", 7 }, { "lis", 11 }, { "listopad", 11 },
	{ "listopada", 11 }, { "lug", 7 }, { "luglio", 7 }, { "lun", 0 }, { "lundi", 0 },
	{ "lunedi", 0 }, { "lunes", 0 }, { "lut", 2 }, { "lutego", 2 }, { "luty", 2 },
	{ "ma", 0 }, { "maandag", 0 }, { "maart", 3 }, { "mag", 5 }, { "maggio", 5 },
	{ "mai", 5 }, { "maio", 5 }, { "maj", 5 }, { "maja", 5 }, { "mar", 3 }, { "marca", 3 },
	{ "march", 3 }, { "marco", 3 }, { "maret", 3 }, { "mars", 3 }, { "martedi", 0 },
	{ "marz", 3 }, { "marzec", 3 }, { "marzo", 3 }, { "may", 5 }, { "mayis", 5 },
	{ "mayo", 5 }, { "mayıs", 5 }, { "mei", 5 }, { "mer", 0 }, { "mercoledi", 0 },
	{ "mercredi", 0 }, { "mi", 0 }, { "mie", 0 }, { "miercoles", 0 }, { "minggu", 0 },
	{ "mittwoch", 0 }, { "mo", 0 }, { "modified", -1 }, { "mon", 0 }, { "monday", 0 }, { "montag", 0 },
	{ "mrt", 3 }, { "mrz", 3 }, { "nd", 0 }, { "niedz", 0 }, { "niedziela", 0 },
	{ "nisan", 4 }, { "nov", 11 }, { "november", 11 }, { "novembre", 11 },
	{ "novembro", 11 }, { "noviembre", 11 }, { "o", -1 }, { "ocak", 1 }, { "oct", 10 },
	{ "october", 10 }, { "octobre", 10 }, { "octubre", 10 }, { "of", -1 }, { "okt", 10 },
	{ "oktober", 10 }, { "om", -1 }, { "on", -1 }, { "ore", -1 }, { "ott", 10 }, { "ottobre", 10 },
	{ "out", 10 }, { "outubro", 10 }, { "pazar", 0 }, { "pazartesi", 0 },
	{ "pazdziernik", 10 }, { "pazdziernika", 10 }, { "persembe", 0 }, { "piatek", 0 },
	{ "pon", 0 }, { "poniedziałek", 0 }, { "posted", -1 }, { "pt", 0 },
	{ "published", -1 }, { "pukul", -1 }, { "qua", 0 },
	{ "quarta", 0 }, { "qui", 0 }, { "quinta", 0 }, { "r", -1 }, { "rabu", 0 },
	{ "roku", -1 }, { "sa", 0 }, { "saat", -1 }, { "sab", 0 }, { "sabado", 0 },
	{ "sabato", 0 }, { "sabtu", 0 }, { "sali", 0 }, { "salı", 0 }, { "sam", 0 },
	{ "samedi", 0 }, { "samstag", 0 }, { "sat", 0 }, { "saturday", 0 }, { "seg", 0 },
	{ "segunda", 0 }, { "selasa", 0 }, { "senin", 0 }, { "sep", 9 }, { "sept", 9 },
	{ "september", 9 }, { "septembre", 9 }, { "septiembre", 9 }, { "set", 9 },
	{ "setembro", 9 }, { "setiembre", 9 }, { "settembre", 9 }, { "sex", 0 },
	{ "sexta", 0 }, { "sie", 8 }, { "sierpien", 8 }, { "sierpnia", 8 }, { "so", 0 },
	{ "sob", 0 }, { "sobota", 0 }, { "sonnabend", 0 }, { "sonntag", 0 }, { "sr", 0 },
	{ "sroda", 0 }, { "sty", 1 }, { "styczen", 1 }, { "stycznia", 1 }, { "sub", 2 },
	{ "subat", 2 }, { "sun", 0 }, { "sunday", 0 }, { "tem", 7 }, { "temmuz", 7 },
	{ "ter", 0 }, { "terca", 0 }, { "the", -1 }, { "thu", 0 }, { "thur", 0 },
	{ "thurs", 0 }, { "thursday", 0 }, { "tue", 0 }, { "tues", 0 }, { "tuesday", 0 },
	{ "uhr", -1 }, { "um", -1 }, { "updated", -1 }, { "ven", 0 }, { "vendredi", 0 }, { "venerdi", 0 },
	{ "vie", 0 }, { "viernes", 0 }, { "vr", 0 }, { "vrijdag", 0 }, { "wed", 0 },
	{ "wednesday", 0 }, { "wo", 0 }, { "woensdag", 0 }, { "wrz", 9 }, { "wrzesien", 9 },
	{ "wrzesnia", 9 }, { "wt", 0 }, { "wtorek", 0 }, { "za", 0 }, { "zaterdag", 0 },
	{ "zo", 0 }, { "zondag", 0 }, { "авг", 8 }, { "август", 8 }, { "августа", 8 },
	{ "апр", 4 }, { "апрель", 4 }, { "апреля", 4 }, { "в", -1 }, { "воскресенье", 0 },
	{ "вс", 0 }, { "вт", 0 }, { "вторник", 0 }, { "г", -1 }, { "год", -1 },
	{ "года", -1 }, { "дек", 12 }, { "декабрь", 12 }, { "декабря", 12 }, { "июл", 7 },
	{ "июль", 7 }, { "июля", 7 }, { "июн", 6 }, { "июнь", 6 }, { "июня", 6 },
	{ "маи", 5 }, { "март", 3 }, { "марта", 3 }, { "мая", 5 }, { "ноя", 11 },
	{ "нояб", 11 }, { "ноябрь", 11 }, { "ноября", 11 }, { "окт", 10 }, { "октябрь", 10 },
	{ "октября", 10 }, { "пн", 0 }, { "понедельник", 0 }, { "пт", 0 }, { "пятница", 0 },
	{ "сб", 0 }, { "сен", 9 }, { "сент", 9 }, { "сентябрь", 9 }, { "сентября", 9 },
	{ "ср", 0 }, { "среда", 0 }, { "суббота", 0 }, { "фев", 2 }, { "февр", 2 },
	{ "февраль", 2 }, { "февраля", 2 }, { "четверг", 0 }, { "чт", 0 }, { "янв", 1 },
	{ "январь", 1 }, { "января", 1 }, { "اب", 8 }, { "ابريل", 4 }, { "اذار", 3 },
	{ "اغسطس", 8 }, { "اكتوبر", 10 }, { "الاثنين", 0 }, { "الاحد", 0 }, { "الاربعاء", 0 },
	{ "الثلاثاء", 0 }, { "الجمعه", 0 }, { "الخميس", 0 }, { "السبت", 0 }, { "ايار", 5 },
	{ "ايلول", 9 }, { "تموز", 7 }, { "حزيران", 6 }, { "ديسمبر", 12 }, { "سبتمبر", 9 },
	{ "شباط", 2 }, { "فبراير", 2 }, { "مارس", 3 }, { "مايو", 5 }, { "نوفمبر", 11 },
	{ "نيسان", 4 }, { "يناير", 1 }, { "يوليو", 7 }, { "يونيو", 6 },
};

const char *pm_date_word_at(size_t i, int *kind)
{
	if (i >= sizeof(date_words) / sizeof(date_words[0]))
		return NULL;
	*kind = date_words[i].kind;
	return date_words[i].w;
}

static int word_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct date_word *)elem)->w);
}

/* kind of folded word w (see date_words), or -2 when it is not listed */
static int word_kind(const char *w)
{
	const struct date_word *d = bsearch(w, date_words, sizeof(date_words) / sizeof(date_words[0]),
					    sizeof(date_words[0]), word_cmp);
	return d ? d->kind : -2;
}

/* Time zone abbreviations curl_getdate does not know, as offsets in
 * minutes; read only after curl has failed, so that none of its own
 * readings changes (its CAT is Alaskan, not Central African). IST is
 * left out: India, Ireland and Israel all use it. */
static int extra_zone(const char *w, int *minutes)
{
	static const struct {
		const char *name;
		int minutes;
	} z[] = { { "msk", 180 }, { "eat", 180 }, { "sast", 120 }, { "wib", 420 },
		  { "wita", 480 }, { "wit", 540 }, { "kst", 540 }, { "hkt", 480 },
		  { "sgt", 480 }, { "pkt", 300 }, { "aest", 600 }, { "aedt", 660 },
		  { "eest", 180 }, { "west", 60 }, { "art", -180 }, { "brt", -180 } };

	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		if (!strcmp(w, z[i].name)) {
			*minutes = z[i].minutes;
			return 1;
		}
	return 0;
}

/* A word standing for a separator in a date, and that separator. */
struct date_unit {
	const char *word, *sep;
};

static const char *unit_sep(const struct date_unit *u, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, u[i].word))
			return u[i].sep;
	return NULL;
}

/* What follows the digits of a word like "1er", "27th", "2026년": ""
 * for ordinals, a separator for the Korean date units. */
static const char *digit_suffix(const char *w)
{
	static const struct date_unit units[] = {
		{ "er", "" }, { "e", "" }, { "eme", "" }, { "st", "" }, { "nd", "" },
		{ "rd", "" }, { "th", "" }, { "o", "" }, { "a", "" }, { "º", "" }, { "ª", "" },
		{ "\xEB\x85\x84", "-" }, { "\xEC\x9B\x94", "-" }, { "\xEC\x9D\xBC", " " },
		{ "\xEC\x8B\x9C", ":" }, { "\xEB\xB6\x84", " " }, { "\xEC\xB4\x88", " " } };

	return unit_sep(units, sizeof(units) / sizeof(units[0]), w);
}

/* The separator a CJK date character stands for (年 月 日 时/時 分 秒), or
 * NULL. */
static const char *cjk_unit(const char *w)
{
	static const struct date_unit units[] = {
		{ "\xE5\xB9\xB4", "-" }, { "\xE6\x9C\x88", "-" }, { "\xE6\x97\xA5", " " },
		{ "\xE6\x97\xB6", ":" }, { "\xE6\x99\x82", ":" }, { "\xE5\x88\x86", " " },
		{ "\xE7\xA7\x92", " " } };

	return unit_sep(units, sizeof(units) / sizeof(units[0]), w);
}

/* b's length without the spaces at its end */
static size_t trimmed_len(const struct pm_buf *b)
{
	size_t n = b->len;

	while (n && b->data[n - 1] == ' ')
		n--;
	return n;
}

/* whether b ends with a digit, spaces after it aside */
static int ends_with_digit(const struct pm_buf *b)
{
	size_t n = trimmed_len(b);

	return n && isdigit((unsigned char)b->data[n - 1]);
}

static void trim_spaces(struct pm_buf *b)
{
	b->len = trimmed_len(b);
	if (b->data)
		b->data[b->len] = '\0';
}

/* "H:MM" just before the end of b (spaces allowed): an "am" or "pm" there
 * is a time's, not German's "am". */
static int after_time(const struct pm_buf *b)
{
	size_t n = trimmed_len(b);

	return n >= 4 && isdigit((unsigned char)b->data[n - 1]) &&
	       isdigit((unsigned char)b->data[n - 2]) && b->data[n - 3] == ':';
}

/* dst = src when it fits (dsz bytes with the NUL); -1 otherwise */
static int put(char *dst, size_t dsz, const char *src)
{
	size_t l = strlen(src);

	if (l >= dsz)
		return -1;
	memcpy(dst, src, l + 1);
	return 0;
}

/* "GMT+2", "UTC+05:30", "GMT+0100", and "+05:30" after a time, in buf
 * (cap bytes), rewritten as the "+0530" curl reads: it takes "GMT" and
 * drops what follows, and stops at the colon. -1 for an offset out of
 * range or no room. */
static int fix_offset(char *buf, size_t cap)
{
	for (char *z = buf; (z = strpbrk(z, "+-")); z++) {
		int named = z - buf >= 3 && (!strncasecmp(z - 3, "GMT", 3) || !strncasecmp(z - 3, "UTC", 3));
		const char *q = z + 1;
		int digits = (int)strspn(q, "0123456789"), oh, om = 0;
		char tmp[192], *from;

		if (named && (digits == 1 || digits == 2)) {
			oh = atoi(q);
			q += digits;
			if (q[0] == ':' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2])) {
				om = atoi(q + 1);
				q += 3;
			}
		} else if (named && digits == 4) {
			oh = atoi(q) / 100;
			om = atoi(q) % 100;
			q += 4;
		} else if (!named && digits == 2 && q[2] == ':' && isdigit((unsigned char)q[3]) &&
			   isdigit((unsigned char)q[4]) && !isdigit((unsigned char)q[5]) && q[5] != ':' &&
			   z > buf && (z[-1] == ' ' || isdigit((unsigned char)z[-1])) &&
			   memchr(buf, ':', (size_t)(z - buf))) {
			/* after a time: "14:03 +05:30", "14:03:00+05:30" */
			oh = atoi(q);
			om = atoi(q + 3);
			q += 5;
		} else {
			continue;
		}
		if (oh > 14 || om > 59)
			return -1;
		from = named ? z - 3 : z;
		snprintf(tmp, sizeof(tmp), "%.*s %c%02d%02d%s", (int)(from - buf), buf, *z, oh, om, q);
		return put(buf, cap, tmp);
	}
	return 0;
}

/* Numeric dates: year first (2026-11-27, 2026/11/27, 2026.11.27, and
 * what the CJK units left), day first with dots (27.11.2026), and
 * slashes with the year last when one side is over 12 (25/11/2026,
 * 11/25/2026); 11/05/2026 is either, and stays unread. *used gets the
 * length read. */
static int numeric_date(const char *buf, int *y, int *mo, int *d, int *used)
{
	int a, b;

	if (sscanf(buf, "%4d%*[-/.]%2d%*[-/.]%2d%n", y, mo, d, used) == 3 && *y > 999)
		return 1;
	if (sscanf(buf, "%2d.%2d.%4d%n", d, mo, y, used) == 3 && *y > 999)
		return 1;
	if (sscanf(buf, "%2d/%2d/%4d%n", &a, &b, y, used) != 3 || *y <= 999 ||
	    (a > 12) == (b > 12))
		return 0;
	*d = a > 12 ? a : b;
	*mo = a > 12 ? b : a;
	return 1;
}

/* The end of parse_localized: s is ASCII with English month names. pm and
 * am mark a 12-hour time; zone (minutes east) is given by a name curl does
 * not know. Returns the time, or (time_t)-1. */
static time_t read_rewritten(const char *s, int pm, int am, const long *zone)
{
	char buf[160], iso[48];
	const char *p;
	size_t n = 0;
	int y, mo, d, h, mi, used = 0;
	time_t t;

	/* one space between words, ends trimmed */
	for (p = s; *p && n + 1 < sizeof(buf); p++) {
		if (*p == ' ' || *p == '\t') {
			/* none after a separator the CJK units left ("2026- 11-") */
			if (n && buf[n - 1] != ' ' && buf[n - 1] != '-' && buf[n - 1] != ':')
				buf[n++] = ' ';
			continue;
		}
		buf[n++] = *p;
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	if (*p || !n)
		return (time_t)-1;
	/* a 12-hour clock: the first H:MM */
	if (pm || am) {
		char *c = strchr(buf, ':');
		if (!c || c == buf || !isdigit((unsigned char)c[-1]))
			return (time_t)-1;
		char *hs = c - 1;
		if (hs > buf && isdigit((unsigned char)hs[-1]))
			hs--;
		h = atoi(hs);
		if (h < 1 || h > 12)
			return (time_t)-1;
		h = h % 12 + (pm ? 12 : 0);
		char fixed[sizeof(buf) + 2];
		snprintf(fixed, sizeof(fixed), "%.*s%02d%s", (int)(hs - buf), buf, h, c);
		if (put(buf, sizeof(buf), fixed))
			return (time_t)-1;
	}
	if (fix_offset(buf, sizeof(buf)))
		return (time_t)-1;
	if (numeric_date(buf, &y, &mo, &d, &used)) {
		const char *rest = buf + used;
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			return (time_t)-1;
		snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, mo, d);
		while (*rest == ' ' || *rest == '-')
			rest++;
		if (*rest && sscanf(rest, "%2d:%2d", &h, &mi) == 2) {
			char tmp[sizeof(buf) + 48];
			snprintf(tmp, sizeof(tmp), "%s %s", iso, rest);
			if (put(buf, sizeof(buf), tmp))
				return (time_t)-1;
		} else if (!*rest) {
			if (put(buf, sizeof(buf), iso))
				return (time_t)-1;
		} else {
			return (time_t)-1;
		}
		if (parse_iso(buf, &t) == 0)
			goto done;
		/* "2026-11-27 14:03 +0100" and the like */
		t = curl_getdate(buf, NULL);
		if (t == (time_t)-1)
			return t;
		goto done;
	}
	t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return t;
done:
	if (zone)
		t -= (time_t)*zone * 60;
	return t;
}

/* Rewrites a date in another language, or with the breakage curl does not
 * take, into one it does: month names to English, day names and filler
 * words dropped, ordinals and Korean/CJK units to numbers and separators,
 * "14h03" and "14 h 03" to 14:03, fractional seconds dropped, 12-hour
 * times to 24, "+05:30" and "GMT+2" to "+0530" and "+0200", a few zone
 * names curl lacks to offsets. Year-first and dotted day-first numeric
 * dates become ISO. 0 and *out when that reads; -1 otherwise (a word it
 * does not know, among them: nothing is guessed). */
static int parse_localized(const char *s, time_t *out)
{
	struct pm_tokens t;
	struct pm_buf b;
	size_t i, pos = 0, n = strlen(s);
	int months = 0, pm = 0, am = 0, ok = 1, mar_month;
	long zone = 0;
	int have_zone = 0;
	time_t r = (time_t)-1;

	pm_tokens_init(&t);
	pm_text_tokenize(s, n, &t);
	for (i = 0; i < t.n; i++) {
		int k = word_kind(pm_token_str(&t, i));
		months += k >= 1 && k <= 12 && strcmp(pm_token_str(&t, i), "mar");
	}
	mar_month = months == 0;
	pm_buf_init(&b, 0);
	for (i = 0; i < t.n && ok; i++) {
		const struct pm_token *tk = &t.v[i];
		const char *w = pm_token_str(&t, i), *sep;
		int k, minutes;

		/* what lies between the tokens: ASCII punctuation stays, but
		 * '.' and ',' separate (as in the common path), a '.' then
		 * digits after a time's seconds is a fraction, dropped */
		for (; pos < tk->start; pos++) {
			char c = s[pos];
			if ((unsigned char)c >= 0x80)
				continue; /* a non-ASCII separator: a space will do */
			if (c == '.' && after_time(&b) && isdigit((unsigned char)s[pos + 1]))
				pos = tk->end - 1; /* and the digits (this token) too */
			else if (c == '.' && ends_with_digit(&b) && isdigit((unsigned char)s[pos + 1]))
				pm_buf_addc(&b, '.'); /* 27.11.2026 */
			else
				pm_buf_addc(&b, c == '.' || c == ',' ? ' ' : c);
		}
		if (pos >= tk->end) {
			pos = tk->end;
			continue;
		}
		pos = tk->end;
		if (tk->flags & PM_TOK_NUM) {
			pm_buf_add(&b, s + tk->start, tk->end - tk->start);
			continue;
		}
		if ((sep = cjk_unit(w))) {
			pm_buf_adds(&b, sep);
			continue;
		}
		if (isdigit((unsigned char)w[0])) {
			/* digits, then letters, then perhaps digits again */
			size_t d = strspn(w, "0123456789"), e;
			const char *rest = w + d;
			char unit[16];
			e = strcspn(rest, "0123456789");
			if (e >= sizeof(unit)) {
				ok = 0;
				break;
			}
			memcpy(unit, rest, e);
			unit[e] = '\0';
			pm_buf_add(&b, w, d);
			if (!strcmp(unit, "h") && rest[e]) {
				pm_buf_addc(&b, ':');
				pm_buf_adds(&b, rest + e);
			} else if ((sep = digit_suffix(unit)) && !rest[e]) {
				pm_buf_adds(&b, sep);
			} else {
				ok = 0;
			}
			continue;
		}
		/* 12-hour clocks: "2:03 pm", "2 p.m.", "12:30 am" (German's
		 * "am" is a filler: an "am" counts only after a time) */
		int dotted = (!strcmp(w, "p") || !strcmp(w, "a")) && i + 1 < t.n &&
			     !strcmp(pm_token_str(&t, i + 1), "m") && s[tk->end] == '.';
		if (!strcmp(w, "pm") || (w[0] == 'p' && dotted) ||
		    ((!strcmp(w, "am") || dotted) && (after_time(&b) || ends_with_digit(&b)))) {
			pm |= w[0] == 'p';
			am |= w[0] == 'a';
			if (!after_time(&b) && ends_with_digit(&b)) {
				trim_spaces(&b);
				pm_buf_adds(&b, ":00"); /* "2 pm" */
			}
			if (dotted) {
				pos = t.v[i + 1].end;
				i++;
			}
			continue;
		}
		/* "14 h 03" */
		if (!strcmp(w, "h") && ends_with_digit(&b) && i + 1 < t.n &&
		    (t.v[i + 1].flags & PM_TOK_NUM)) {
			trim_spaces(&b);
			pm_buf_addc(&b, ':');
			pos = t.v[i + 1].start;
			continue;
		}
		k = word_kind(w);
		if (k == 3 && !strcmp(w, "mar") && !mar_month)
			k = 0;
		if (k >= 1 && k <= 12) {
			static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
			pm_buf_addc(&b, ' ');
			pm_buf_add(&b, names + 3 * (k - 1), 3);
			pm_buf_addc(&b, ' ');
		} else if (k == 0 || k == -1) {
			pm_buf_addc(&b, ' ');
		} else if (extra_zone(w, &minutes)) {
			zone = minutes;
			have_zone = 1;
		} else if (strlen(w) <= 5 && strspn(w, "abcdefghijklmnopqrstuvwxyz") == strlen(w)) {
			/* a zone name or a word curl knows (GMT, EST, Z...) */
			pm_buf_add(&b, s + tk->start, tk->end - tk->start);
		} else {
			ok = 0;
		}
	}
	for (; ok && pos < n; pos++)
		if ((unsigned char)s[pos] < 0x80)
			pm_buf_addc(&b, s[pos] == '.' || s[pos] == ',' ? ' ' : s[pos]);
	pm_tokens_release(&t);
	if (ok && b.len)
		r = read_rewritten(b.data, pm, am, have_zone ? &zone : NULL);
	pm_buf_release(&b);
	if (r == (time_t)-1)
		return -1;
	*out = r;
	return 0;
}

int pm_parse_date(const char *s, time_t *out)
{
	char buf[128], *q;
	size_t n;
	time_t t;

	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	if (!n || n >= sizeof(buf))
		return -1;
	if (!parse_iso(s, out) || !parse_rfc822_common(s, out))
		return 0;
	memcpy(buf, s, n + 1);
	/* RFC 822 breakage curl does not take: "UT", dots after day names,
	 * commas in odd places, a trailing zone name in parentheses */
	if ((q = strchr(buf, '(')))
		*q = '\0';
	for (q = buf; *q; q++)
		if (*q == '.' || *q == ',')
			*q = ' ';
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	/* " UT" -> " GMT" grows the string by one: keep room for it */
	if (n >= 3 && n + 2 <= sizeof(buf) && !strcmp(buf + n - 3, " UT"))
		memcpy(buf + n - 2, "GMT", 4);
	if (n && n + 4 < sizeof(buf) && buf[n - 1] == 'Z' && n >= 2 && isdigit((unsigned char)buf[n - 2]))
		memcpy(buf + n - 1, " GMT", 5);
	/* JavaScript's "GMT+0100" (curl reads the GMT and drops the rest) */
	if (fix_offset(buf, sizeof(buf)))
		return -1;
	t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		/* only now, so that no date curl reads is read otherwise */
		return parse_localized(s, out);
	*out = t;
	return 0;
}

json_t *pm_date_json(const char *s)
{
	time_t t;
	char iso[PM_ISO_LEN];

	if (!s || pm_parse_date(s, &t))
		return json_null();
	pm_time_iso(t, iso);
	return json_string(iso);
}
