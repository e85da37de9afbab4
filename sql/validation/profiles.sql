-- Every profile, for people matching (pipelines.people.PeopleIndex), loaded once per layer.
SELECT id, last_name, first_name, middle_name FROM profile ORDER BY id;
