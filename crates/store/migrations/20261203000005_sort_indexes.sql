-- The actions table sorts by any column the window shows. Each order is read off an index, so a
-- page of 100k actions is never sorted: titles and priorities get their own indexes, and status
-- sorts by its place in the lifecycle (the expression must stay identical to
-- `query::LIFECYCLE_ORDER`, which a store test checks). Number and kind already have indexes.
CREATE INDEX actions_title ON actions(title);
CREATE INDEX actions_priority_due ON actions(priority, due, id);
CREATE INDEX actions_lifecycle_due ON actions(CASE status WHEN 'draft' THEN 0 WHEN 'issued' THEN 1 WHEN 'assigned' THEN 2
WHEN 'in_progress' THEN 3 WHEN 'blocked' THEN 4 WHEN 'completed' THEN 5 WHEN 'evaluated' THEN 6 WHEN 'closed' THEN 7
WHEN 'cancelled' THEN 8 WHEN 'superseded' THEN 9 END, due, id);
