-- Early warning (issue 16): the colour of a place counts the open cases in it by risk, at every
-- registration and step that touches the place and for every place in the nightly pass. Without
-- these a grid's count read the whole cases table (no index on grid_id), and a street's read all
-- its cases ever registered to keep the open ones. Partial: only open cases (about a third of
-- the table), with the risk so that the count is read from the index alone.

CREATE INDEX cases_open_region ON cases (region_code, risk)
    WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress');
CREATE INDEX cases_open_grid ON cases (grid_id, risk)
    WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress');
