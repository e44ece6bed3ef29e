-- Identifiers compare byte by byte. Under the database's default collation (a libc or ICU locale
-- such as en_US.UTF-8, or even C.UTF-8) every b-tree step on these text keys goes through the
-- locale's string comparison, which made each pushed change's index inserts several times
-- dearer than they need be. Ids, hashes and role words have no linguistic order to keep.
-- Changing only the collation rebuilds the indexes; the rows are not rewritten.
ALTER TABLE records ALTER COLUMN entity_id TYPE TEXT COLLATE "C",
                    ALTER COLUMN action_id TYPE TEXT COLLATE "C",
                    ALTER COLUMN sole_device TYPE TEXT COLLATE "C";
ALTER TABLE audit ALTER COLUMN change_id TYPE TEXT COLLATE "C";
ALTER TABLE access ALTER COLUMN action_id TYPE TEXT COLLATE "C",
                   ALTER COLUMN office_id TYPE TEXT COLLATE "C",
                   ALTER COLUMN role TYPE TEXT COLLATE "C";
ALTER TABLE blob_refs ALTER COLUMN sha256 TYPE TEXT COLLATE "C",
                      ALTER COLUMN action_id TYPE TEXT COLLATE "C";
ALTER TABLE blobs ALTER COLUMN sha256 TYPE TEXT COLLATE "C";
ALTER TABLE blob_chunks ALTER COLUMN sha256 TYPE TEXT COLLATE "C";
