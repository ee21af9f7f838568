"""The handlers' abbreviations, explained on hover on the claim's timeline (DOMAIN.md)."""

import pytest

from ekrav.templatetags.ekrav import abbreviations


@pytest.mark.parametrize("text, expected", [
    ("Påminnelse (PÅM)", 'Påminnelse (<abbr title="Betalningspåminnelse">PÅM</abbr>)'),
    ("SUT: till Bev", '<abbr title="Saknar utmätningsbara tillgångar">SUT</abbr>: till '
                      '<abbr title="Efterbevakning">Bev</abbr>'),
    ("BIKE IKEA Bevakning PÅMINNELSE", "BIKE IKEA Bevakning PÅMINNELSE"),  # whole words only
    ("<b>IK</b> & co", '&lt;b&gt;<abbr title="Inkassokrav">IK</abbr>&lt;/b&gt; &amp; co'),
])
def test_abbreviations_are_explained_and_the_rest_escaped(text, expected):
    assert str(abbreviations(text)) == expected


@pytest.mark.django_db
def test_the_timeline_explains_them(alice_client, alice_co):
    from datetime import date

    from letters.services import collection_day_run
    from tests.claims.test_collection import register_on

    claim = register_on(alice_co)
    collection_day_run(until=date(2026, 4, 7))
    page = alice_client.get(f"/arenden/{claim.pk}/").content.decode()
    assert '<abbr title="Betalningspåminnelse">PÅM</abbr>' in page
