from vaxpass.core.matching.merges import LinkedDose, merge_proposals


def test_same_person_and_day_at_two_sites_are_proposed_for_merging():
    doses = [
        LinkedDose("d1", "P1", "2021-08-01", "TYT1"),
        LinkedDose("d2", "P1", "2021-08-01", "BV1"),  # the same dose recorded twice
        LinkedDose("d3", "P1", "2021-09-01", "TYT1"),  # the next dose
        LinkedDose("d4", "P2", "2021-08-01", "BV1"),  # someone else that day
        LinkedDose("d5", "P1", "2021-08-01", "TYT1"),  # same site: a re-sent row, not a merge
        LinkedDose("d6", "", "2021-08-01", "BV2"),  # not linked
    ]
    assert merge_proposals(doses) == {
        "d1": ("d2",),
        "d2": ("d1", "d5"),
        "d5": ("d2",),
    }
