#!/usr/bin/env python3
"""Writes a benchmark text (about SIZE MB) from a vocabulary written for the
benchmarks: by default English-heavy like the real press mix, or the
languages given (e.g. en for English only, ar,ru,fr for mixed scripts).
usage: mktext.py OUT [SIZE_MB [LANGS]]"""
import random, sys

WORDS = {
    "en": "the international criminal court issued an arrest warrant security council referral "
          "prosecutor judges states parties cooperation victims reparations hearing statute".split(),
    "fr": "la cour pénale internationale a émis un mandat d'arrêt conseil de sécurité renvoi "
          "procureur juges états parties coopération victimes réparations audience".split(),
    "es": "la corte penal internacional emitió una orden de detención consejo de seguridad "
          "remisión fiscal jueces estados partes cooperación víctimas reparaciones".split(),
    "ar": "المحكمة الجنائية الدولية أصدرت مذكرة توقيف مجلس الأمن إحالة المدعي العام القضاة الدول الأطراف".split(),
    "ru": "Международный уголовный суд выдал ордер на арест Совет Безопасности передача прокурор".split(),
    "zh": list("国际刑事法院发出逮捕令安理会移交检察官法官缔约国合作受害者"),
}
MIX = sys.argv[3].split(",") if len(sys.argv) > 3 else ["en"] * 6 + ["fr", "es", "ar", "ru", "zh"]
size = float(sys.argv[2]) if len(sys.argv) > 2 else 8
rng = random.Random(3)
out, n = [], 0
while n < size * 1e6:
    lang = rng.choice(MIX)
    sent = (" " if lang != "zh" else "").join(rng.choice(WORDS[lang]) for _ in range(rng.randint(8, 25)))
    sent = sent[0].upper() + sent[1:] + (". " if lang != "zh" else "。")
    out.append(sent)
    n += len(sent.encode("utf-8"))
    if rng.random() < 0.1:
        out.append("\n\n")
open(sys.argv[1], "w", encoding="utf-8").write("".join(out))
