-- The branches of a scope that have a figure (the red ones of this year, for the home page's
-- to-do list) are found from the figure rather than by reading every branch's figures. Partial,
-- so that it holds only the few rows above zero and no planner takes it for other reads.
CREATE INDEX rollups_by_metric ON rollups (root_org_id, period, metric) WHERE value > 0;
