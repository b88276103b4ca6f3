"""The order service: a customer's orders (audience ``orders``), charged through the payment
service with a token obtained by token exchange, never with the customer's own token."""
