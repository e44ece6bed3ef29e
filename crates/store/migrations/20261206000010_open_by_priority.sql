-- "Open, most urgent first" (the board's open actions by priority): read off an index holding
-- only open actions in that order, instead of walking every action's priority and testing each
-- row's status (a page cost 25–55 ms at 100k actions, each tested row a page to decrypt).
CREATE INDEX actions_open_priority ON actions(priority, due, id) WHERE status IN ('issued','assigned','in_progress','blocked');
