"""Per-chapter glue: what one chapter needs beyond the core and `charlab.analysis` (the post's facts it compares
with, its sizes per scale, its tables and figures). One module per chapter, named like its notebook; a chapter
module never imports another chapter module, and the core never imports a chapter."""
