"""Cleaning in the app: the engine's decisions (vaxpass.core.matching, vaxpass.linkage)
applied to the doses, the review queues of the ward health stations and the ward police,
the spreadsheet loop for officers who work offline, and the runs (batch and incremental).

- ``models``: runs, decisions (one current per dose), review items, corrections, merge
  proposals, spreadsheet uploads
- ``services``: the only code that changes cleaning state (one function per change)
- ``routing``: which queue and which ward a review item belongs to
- ``scopes``: which review items an account may see
- ``incremental`` / ``batch``: the two kinds of run; ``tasks``: the background job
- ``sheets``: the review list as .xlsx, and the filled list read back
"""
