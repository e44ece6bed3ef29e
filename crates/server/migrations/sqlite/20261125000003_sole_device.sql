-- The device whose stamps every value of a record carries (NULL when several devices wrote it,
-- and for conflicts). A pull skips the puller's own records in the query instead of reading
-- and discarding them: a desktop's first sync would otherwise read back everything it sent.
ALTER TABLE records ADD COLUMN sole_device TEXT;
