#!/usr/bin/env python3
"""Writes a WordPress-style RSS 2.0 feed with items published N days before a fixed anchor.

Used for the bundled demo feed (examples/demo-feed.xml), the age-window fixture
(tests/fixtures/span.xml) and, with --items 5000, benchmark input. Dates are fixed so the output
is reproducible; `encore preview --now <anchor>` looks at it as of the anchor.

usage: gen_feed.py --anchor 2026-12-01 --items 24 --span 200 --out FILE [--per-page N]
                   [--body-bytes N] [--no-content]

--body-bytes N gives each item a content:encoded of about N bytes of varied HTML (paragraphs,
links, emphasis, entities, a figure), as WordPress writes it: the benchmark feed is
`--items 5000 --span 3650 --body-bytes 1150` (about 10 MB; bench/README.md). --no-content
leaves content:encoded out: `--items 100000 --span 7300 --no-content` is the 100,000-article
state benchmark's feed (about 60 MB; bench/state.sh).
"""
import argparse
import datetime as dt
import html
import random

TITLES = [
    "Pourquoi les hashtags en tête de tweet fonctionnent mieux",
    "10 erreurs à éviter sur les médias sociaux",
    "How to write headlines people actually click",
    "Le guide complet du référencement local en 2026",
    "Mastodon, Bluesky, X : où publier ses articles ?",
    "What we learned from a year of newsletters",
    "Café, croissants et stratégie de contenu ☕",
    "Conférence Web Paris : le programme complet",
    "Notre agence recrute un(e) community manager",
    "SEO technique : les Core Web Vitals expliqués simplement",
    "L'art de recycler ses anciens articles sans lasser",
    "東京で学んだコンテンツ戦略",
    "Growth hacking: the myths and the few things that work",
    "Atelier gratuit le 12 mars : réussir sa page LinkedIn",
    "Combien de tweets par jour ? Ce que disent les chiffres",
    "Brand voice: a practical worksheet for small teams",
    "Étude de cas : +40 % de trafic grâce au partage d'archives",
    "Les outils de planification comparés : Buffer, Hootsuite et les autres",
    "A very long title about content marketing strategy that goes on and on to test how Encore shortens titles at a word boundary without ever cutting the link",
    "Podcast : l'épisode 42 sur la modération des communautés",
    "Why evergreen content beats viral content over five years",
    "Rédiger pour le web : phrases courtes, idées longues",
    "Analytics for bloggers: the five numbers that matter",
    "Retour sur notre webinaire « Social Selling »",
]
CATEGORIES = [
    ["Médias sociaux", "Twitter"],
    ["Médias sociaux", "Conseils"],
    ["Copywriting"],
    ["SEO", "Local"],
    ["Médias sociaux", "Mastodon", "Bluesky"],
    ["Newsletter", "Email marketing"],
    ["Contenu"],
    ["Événements", "Conférences"],
    ["Actualités", "Agence"],
    ["SEO", "Performance web"],
    ["Contenu", "Médias sociaux"],
    ["コンテンツ", "戦略"],
    ["Growth"],
    ["Événements", "LinkedIn"],
    ["Twitter", "Études"],
    ["Branding"],
    ["Études de cas", "Trafic"],
    ["Outils", "Médias sociaux"],
    ["Content marketing", "Stratégie"],
    ["Podcast", "Communautés"],
    ["Contenu", "Evergreen"],
    ["Copywriting", "Rédaction web"],
    ["Analytics"],
    ["Actualités", "Webinaires"],
]


WORDS = (
    "le la les un une des contenu article lecteurs réseau partage stratégie marque audience "
    "the a of and to content readers network share strategy brand audience archive evergreen "
    "référencement être à où déjà très ça naïve café 東京 戦略 コンテンツ Ελληνικά Русский"
).split()


def long_body(rng, size, site):
    """About `size` bytes of WordPress-like HTML."""
    parts = []
    total = 0
    while total < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        i = rng.randrange(len(words))
        words[i] = f'<a href="{site}/?p={rng.randint(1, 99999)}">{words[i]}</a>'
        j = rng.randrange(len(words))
        words[j] = f"<strong>{words[j]}</strong> &amp; <em>co</em>"
        p = "<p>" + " ".join(words).capitalize() + ".</p>\n"
        if rng.random() < 0.15:
            p += (f'<figure class="wp-block-image"><img src="{site}/wp-content/uploads/'
                  f'{rng.randint(1000, 9999)}.jpg" alt="" width="1024" height="576"/></figure>\n')
        parts.append(p)
        total += len(p.encode())
    return "".join(parts)


def rfc822(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S +0000")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchor", required=True, help="YYYY-MM-DD: the day the feed is 'read'")
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--span", type=int, default=200, help="oldest item is this many days old")
    ap.add_argument("--site", default="https://blog.example.org")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--body-bytes", type=int, default=0)
    ap.add_argument("--no-content", action="store_true",
                    help="leave out content:encoded (the 100,000-item state benchmark: ~60 MB)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    # A separate generator: the default output (demo feed, fixtures) stays byte for byte.
    body_rng = random.Random(args.seed + 1)
    anchor = dt.datetime.fromisoformat(args.anchor).replace(hour=8, tzinfo=dt.timezone.utc)
    items = []
    for i in range(args.items):
        days = args.span * i / max(1, args.items - 1)
        published = anchor - dt.timedelta(days=days, minutes=rng.randint(0, 600))
        title = TITLES[i % len(TITLES)]
        if i >= len(TITLES):
            title = f"{title} ({i // len(TITLES) + 1})"
        cats = CATEGORIES[i % len(CATEGORIES)]
        slug = f"{published:%Y/%m}/article-{i + 1}"
        link = f"{args.site}/{slug}/"
        if args.body_bytes:
            body = long_body(body_rng, args.body_bytes, args.site)
        else:
            body = " ".join(["<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>"] * 8)
        cat_xml = "".join(f"\n\t\t<category><![CDATA[{c}]]></category>" for c in cats)
        content = "" if args.no_content else f"""
		<content:encoded><![CDATA[{body}]]></content:encoded>"""
        items.append(f"""	<item>
		<title>{html.escape(title, quote=False)}</title>
		<link>{link}</link>
		<comments>{link}#respond</comments>
		<dc:creator><![CDATA[Camille]]></dc:creator>
		<pubDate>{rfc822(published)}</pubDate>{cat_xml}
		<guid isPermaLink="false">{args.site}/?p={1000 + i}</guid>
		<description><![CDATA[{title[:80]} […]]]></description>{content}
	</item>""")
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
	<title>Le Blog Démo</title>
	<atom:link href="{args.site}/feed/" rel="self" type="application/rss+xml" />
	<link>{args.site}</link>
	<description>Un blog de démonstration pour Encore</description>
	<lastBuildDate>{rfc822(anchor)}</lastBuildDate>
	<language>fr-FR</language>
	<generator>https://wordpress.org/?v=6.7</generator>
{chr(10).join(items)}
</channel>
</rss>
"""
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(feed)


if __name__ == "__main__":
    main()
