{# Primary-key test over one or more columns: a returned row is a key value
   that appears more than once, or a key with a null part. #}
{% test unique_key(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1 or {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
