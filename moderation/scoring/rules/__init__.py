"""The rule filter: word lists and spam rules compiled into a fast, pure matcher.

Built once per process from better-profanity's word list and ``config/wordlists/*.yaml``
(:mod:`moderation.scoring.wordlists`); better-profanity itself is never called per comment.

How a comment is matched, after :func:`~moderation.scoring.normalize.normalize`:

* It is split into tokens (letters, digits and the leet symbols ``@ $ ! + | * #``).
  Each token is folded: accents stripped, ``0 3 4 5 7 $ + !`` read as ``o e a s t s t i``,
  ``1``/``|`` as i or l, ``@`` as a or o, ``l`` also as i and ``v`` as u (the substitutions
  better-profanity generates), ``*``/``#`` inside a token as one unknown letter.
* A token matches a term when both collapse to the same letters and every run of a repeated
  letter in the token is at least as long as in the term ("fuuuck" is "fuck"; "as" is not
  "ass"). Terms flagged ``inflect`` also match with regular suffixes (-s, -ed, -er, -ing, -y...);
  the few ``stems`` also match inside longer words ("motherfucking", "bullshit") unless an
  allowed word covers them ("Scunthorpe"). Other terms match whole tokens only, so "classic",
  "therapist" or "cocktail" never match.
* Multi-word terms match consecutive tokens ("blow job", "2 girls 1 cup"); runs of single
  letters spaced, dotted or dashed out ("f u c k", "s.h.i.t", "f-u-c-k") are read as one
  word, and so are pieces split by punctuation inside a word ("fuc.king", "sh-it") when
  together they spell a term worse than any piece alone ("bitch's" stays "bitch").
* Allowed phrases ("Dick Cheney") suppress every term inside them.
* A symbol inside a word (``@``, ``!``) may also mask a vowel: a masked reading that is a
  strong or severe term worse than the leet reading wins ("f@ck!ng" is "fucking", not
  "facking"); a leet digit does so only where its own reading is a term already ("f4ck").
  Emoji letters (🅰, 🅐, 🇦) are letters, and a few emoji are words inside their compounds
  ("bull💩"), by the normaliser.
* Matches inside proper names ("Bitchfield", "Mount Buggery", "Sheila Dikshit", a site's
  allow-list) are dropped by :mod:`moderation.scoring.names`, from the text as written.

Spam rules report each link (term ``link``, the policy counts them), link-shortener domains,
runs of one repeated character and long runs of capitals. Every :class:`Match` spans the
offending text in the *original* comment.

Speed: a comment whose tokens have all been seen before and found clean costs a normalisation,
a byte-level split and a set comparison; per-token analyses are cached (bounded), so the
filter gets faster as it warms up. better-profanity's ``contains_profanity`` is ~1000x slower.

Worst case: the work per character is bounded whatever the text holds (:attr:`RuleFilter.work`
counts it). Windows of joined pieces and spaced letters grow only while their look-alike skeleton
can still spell a listed form and span at most one piece per letter of the longest form (a
word split into more pieces than that, "f.u.u.u.u...", is not read across them); windows
holding hidden letters or edge symbols are matched at most 256 per text. ``bench/rules.py``
prints the worst case beside the typical one.

Where each part lives:

* :mod:`~moderation.scoring.rules.filter`: :class:`RuleFilter`, the public API;
* :mod:`~moderation.scoring.rules.tokens`: token characters, folding, readings, skeletons;
* :mod:`~moderation.scoring.rules.compile`: the word lists compiled into indexed terms;
* :mod:`~moderation.scoring.rules.match`: matching one token or window against them;
* :mod:`~moderation.scoring.rules.spans`: finding terms across a text, phrases, joined pieces,
  spaced letters, merging, and mapping spans back to the original;
* :mod:`~moderation.scoring.rules.spam`: the spam rules.
"""

from moderation.scoring.rules.filter import MATCHER_VERSION, RuleFilter, validate_config
from moderation.scoring.wordlists import RuleConfigError

__all__ = ["MATCHER_VERSION", "RuleConfigError", "RuleFilter", "validate_config"]
