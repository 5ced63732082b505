"""The full 2020 proposal (source 003) on SCB's real kommun population, 31 Dec 2019."""

from __future__ import annotations

import polars as pl
from funding_support import METROPOLITAN, MSEK

from datasmart.funding.allocation import Post, aggregate_population, allocate, post_totals
from datasmart.funding.keys import FixedAmounts, FixedPlusPopulation, PopulationShare


def test_full_2020_proposal_on_real_population(kommun_population_2019: pl.DataFrame):
    kommun = aggregate_population(kommun_population_2019)  # code, age, population
    lan = aggregate_population(kommun_population_2019, code_length=2)
    kommuner = tuple(sorted(set(kommun["code"].to_list())))
    lans = tuple(sorted(set(lan["code"].to_list())))
    assert len(kommuner) == 290 and len(lans) == 21
    assert lan["population"].sum() == 10_327_589

    posts = [
        *(
            Post(f"regions {m}", m * MSEK, PopulationShare(), lans, "lan")
            for m in (300, 370, 100, 50)
        ),
        *(
            Post(f"kommuner {m}", m * MSEK, PopulationShare(), kommuner, "kommun")
            for m in (200, 100)
        ),
        Post("län support", 200 * MSEK, FixedPlusPopulation(5 * MSEK), lans, "lan"),
        Post(
            "brukarmedverkan",
            24 * MSEK,
            FixedAmounts(MSEK, dict.fromkeys(METROPOLITAN, 2 * MSEK)),
            lans,
        ),
        Post("suicide prevention", 200 * MSEK, PopulationShare(), lans, "lan"),
        Post("youth clinics", 150 * MSEK, PopulationShare(0, 25), lans, "lan"),
    ]
    rows = allocate(posts, {"kommun": kommun, "lan": lan}, total=1_694 * MSEK)

    assert sum(r.paid_sek for r in rows) == 1_694 * MSEK
    totals = post_totals(rows)
    for post in posts:
        assert totals[post.name] == (post.amount_sek, 0), post.name
    by = {(r.post, r.recipient_code): r.amount_sek for r in rows}
    assert all(r.amount_sek > 0 for r in rows)

    # 5 MSEK floor per län; Stockholm (largest) gets the most.
    support = {c: by[("län support", c)] for c in lans}
    assert min(support.values()) >= 5 * MSEK
    assert max(support, key=support.__getitem__) == "01"
    # Brukarmedverkan: 2 MSEK for 01, 12, 14; 1 MSEK for the other 18.
    brukar = {c: by[("brukarmedverkan", c)] for c in lans}
    assert {c for c, a in brukar.items() if a == 2 * MSEK} == set(METROPOLITAN)
    assert sorted(brukar.values()).count(MSEK) == 18

    # Population shares are within one krona of the exact share.
    lan_pop = dict(lan.group_by("code").agg(pl.col("population").sum()).iter_rows())
    total_pop = sum(lan_pop.values())
    for c in lans:
        exact = 200 * MSEK * lan_pop[c] / total_pop
        assert abs(by[("suicide prevention", c)] - exact) < 1
    # Youth clinics follow the population aged 0–25 inclusive, not the whole population.
    young = lan.filter(pl.col("age") <= 25)
    young_pop = dict(young.group_by("code").agg(pl.col("population").sum()).iter_rows())
    for c in lans:
        exact = 150 * MSEK * young_pop[c] / sum(young_pop.values())
        assert abs(by[("youth clinics", c)] - exact) < 1
    # The smallest kommun (Bjurholm, 2480) gets the least of the kommun posts.
    k200 = {c: by[("kommuner 200", c)] for c in kommuner}
    assert min(k200, key=k200.__getitem__) == "2403"
    assert max(k200, key=k200.__getitem__) == "0180"
