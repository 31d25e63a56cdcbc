"""One module per noun group; each function `noun_verb(ctx) -> result` runs a verb. Which
function runs which verb is the grammar's (`amlmagic.magics.grammar`, each verb's `handler`)."""
