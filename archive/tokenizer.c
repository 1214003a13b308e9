/* archive/tokenizer: the "pressmon" FTS5 tokenizer. It hands FTS5 the tokens
 * of core/text's pm_text_tokenize, so the archive folds case, diacritics and
 * scripts exactly like the classifier ("Pénale" is found by "penale"). */
#include "archive/archive_int.h"
#include "core/text.h"

#include <string.h>

/* FTS5 wants an instance object; ours holds nothing. */
struct pm_fts_tok {
	int unused;
};

static struct pm_fts_tok the_instance;

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)ctx;
	(void)argv;
	if (argc > 0)
		return SQLITE_ERROR; /* the tokenizer takes no options */
	*out = (Fts5Tokenizer *)&the_instance;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
			int (*xToken)(void *, int, const char *, int, int, int))
{
	struct pm_tokens toks;
	int rc = SQLITE_OK;

	(void)t;
	(void)flags; /* documents and queries fold the same way */
	if (!text || len <= 0)
		return SQLITE_OK;
	pm_tokens_init(&toks);
	/* one allocation of each array, not a dozen growing ones */
	pm_tokens_reserve(&toks, (size_t)len);
	pm_text_tokenize(text, (size_t)len, &toks);
	for (size_t i = 0; i < toks.n && rc == SQLITE_OK; i++) {
		const struct pm_token *k = &toks.v[i];
		if (!k->norm_len)
			continue;
		rc = xToken(ctx, 0, pm_token_str(&toks, i), (int)k->norm_len,
			    (int)k->start, (int)k->end);
	}
	pm_tokens_release(&toks);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int pm_archive_register_tokenizer(sqlite3 *db, struct pm_err *err)
{
	static fts5_tokenizer tok = { tok_create, tok_delete, tok_tokenize };
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	/* the documented way to reach the FTS5 API from C */
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return pm_err_set(err, PM_EDEP, "this sqlite3 has no FTS5: %s", sqlite3_errmsg(db));
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api)
		return pm_err_set(err, PM_EDEP, "this sqlite3 has no FTS5");
	rc = api->xCreateTokenizer(api, "pressmon", NULL, &tok, NULL);
	if (rc != SQLITE_OK)
		return pm_err_set(err, PM_EDEP, "cannot register the full-text tokenizer: %s",
				  sqlite3_errstr(rc));
	return 0;
}
